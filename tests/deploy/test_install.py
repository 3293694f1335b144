"""The project install the image runs (deploy/install.sh ... project, as in the Dockerfile):
cancelflow itself with every module compiled to bytecode that a copied venv still uses, no
bench and no tests (issue 23.3, 17.4). The dependency phase installs from the registry with
the same uv call, so it is not repeated here."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bytecode import has_bytecode
from tests.helpers.servers import REPO_ROOT

ROOT = REPO_ROOT
UV_VERSION = re.search(r"^UV_VERSION=(\S+)$", (ROOT / "run").read_text(), re.M)


def _dockerfile_install(phase: str) -> list[str]:
    """The arguments of the Dockerfile's `deploy/install.sh VENV PHASE` step."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("RUN ") and "deploy/install.sh" in line:
            words = shlex.split(line.removeprefix("RUN "))
            args = words[words.index("deploy/install.sh") + 1 :]
            if args[-1] == phase:
                return args
    raise AssertionError(f"the Dockerfile runs no `deploy/install.sh VENV {phase}`")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The venv's own uv (`./run` installs the pinned one there); PATH has it only when the
    # venv is activated, which `./run test` does not do.
    beside = Path(sys.executable).parent / "uv"
    uv = str(beside) if beside.exists() else shutil.which("uv")
    assert UV_VERSION is not None
    found = subprocess.run([uv, "--version"], capture_output=True, text=True) if uv else None
    if found is None or not found.stdout.startswith(f"uv {UV_VERSION.group(1)}"):
        pytest.skip(f"needs uv {UV_VERSION.group(1)} in the venv (the pinned one)")
    assert uv is not None
    work = tmp_path_factory.mktemp("install")
    # The project as the image's build stage has it (COPY . . into /src, .dockerignore'd):
    # the files git knows, so the wheel build's build/ folder lands there, not in the checkout.
    src = work / "src"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    (work / "uv" / "bin").mkdir(parents=True)
    (work / "uv" / "bin" / "uv").symlink_to(uv)
    [_, phase] = _dockerfile_install("project")
    venv = work / "opt-cancelflow"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SOURCE_DATE"))}
    env |= {"PYTHON": str(Path(sys.base_prefix) / "bin" / "python3"), "UV_HOME": str(work / "uv")}
    done = subprocess.run(
        ["bash", str(src / "deploy" / "install.sh"), str(venv), phase],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # A copy that gives every file a new modification time (a COPY or restore may).
    copied = work / "copied"
    shutil.copytree(venv, copied, symlinks=True)
    for source in copied.rglob("*.py"):
        os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 3600))
    return copied


def _site_packages(venv: Path) -> Path:
    [found] = venv.glob("lib/python3*/site-packages")
    return found


def test_every_installed_module_has_bytecode_python_uses(installed: Path) -> None:
    site = _site_packages(installed)
    sources = [p for p in site.rglob("*.py") if "dist-info" not in str(p)]
    assert site / "workflows" / "cancellation.py" in sources
    assert [str(p) for p in sources if not has_bytecode(p)] == []


def test_production_imports_read_the_bytecode_and_write_none(installed: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # as the image's runtime stage sets
    python = installed / "bin" / "python"
    done = subprocess.run(
        [str(python), "-v", "-c", "import workflows, domain"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=installed,
    )
    assert done.returncode == 0, done.stderr
    site = _site_packages(installed)
    for package in ("workflows", "domain"):
        assert f"# code object from '{site / package / '__pycache__'}" in done.stderr, package


def test_bench_and_tests_are_not_installed(installed: Path) -> None:
    site = _site_packages(installed)
    assert (site / "workers" / "cli.py").is_file()
    assert not (site / "bench").exists()
    assert not (site / "tests").exists()
    # Templates and migrations come along as package data.
    assert list((site / "storage" / "migrations").glob("0001_*.sql"))
