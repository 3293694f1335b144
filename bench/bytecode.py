"""Bytecode as production has it: the image compiles every module at build
(deploy/install.sh, uv --compile-bytecode) and runs with PYTHONDONTWRITEBYTECODE=1, so the
workflow sandbox, which re-imports workflows/cancellation.py for every new case, loads
bytecode instead of compiling the source each time.

A checkout run with PYTHONDONTWRITEBYTECODE=1 (as on the team's machines) has none: the bench
compiles the project's packages first, as the image build does, and says so in its header.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import tomllib
from pathlib import Path

from tests.helpers.servers import REPO_ROOT

PROBE = REPO_ROOT / "workflows" / "cancellation.py"


def packages() -> list[Path]:
    """The packages the production wheel ships (pyproject.toml's packages.find)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    return [REPO_ROOT / name.rstrip("*") for name in include]


def compile_project() -> None:
    """Bytecode for every module of the project, beside its source (__pycache__)."""
    for package in packages():
        compileall.compile_dir(package, quiet=1, workers=1)


def has_bytecode(source: Path = PROBE) -> bool:
    """Is there a .pyc for `source` that Python will use (same source mtime and size)?"""
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.exists():
        return False
    header = cached.read_bytes()[:16]
    flags = int.from_bytes(header[4:8], "little")
    if flags & 0b1:  # hash-based: checked against the source on import
        return True
    stat = source.stat()
    mtime, size = int.from_bytes(header[8:12], "little"), int.from_bytes(header[12:16], "little")
    return mtime == int(stat.st_mtime) & 0xFFFFFFFF and size == stat.st_size & 0xFFFFFFFF


def precompile(from_source: bool = False) -> str:
    """Compile the project as the image build does (unless `from_source`); says which way the
    bench then runs, for its header."""
    if from_source:
        return "from source (--from-source: no precompiled bytecode, unlike production)"
    had = has_bytecode()
    compile_project()
    if not has_bytecode():
        return "from source (compiling bytecode failed; the figures do not match production)"
    how = "already present" if had else "compiled by the bench before starting"
    writes = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    return f"precompiled, as in the production image ({how}; writing bytecode {writes})"
