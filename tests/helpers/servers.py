"""Where the suite's servers live: free ports, the venv's server binaries, var/test, and a
lock for what the suite's processes set up in the checkout.

The benchmark (bench/stack.py) starts the same servers and uses these too.
"""

from __future__ import annotations

import fcntl
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def one_at_a_time(name: str) -> Iterator[None]:
    """Held by one process at a time (xdist workers, a second test run): for the set-up of
    something shared in the checkout, e.g. an `npm ci` that others must not see half done."""
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    with (TEST_VAR / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_binary = binary  # the name tests used when it lived in tests/conftest.py
