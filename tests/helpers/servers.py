"""Where the suite's servers live: free ports, the venv's server binaries, var/test, and a
lock for what the suite's processes set up in the checkout.

The benchmark (bench/stack.py) starts the same servers and uses these too.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_VAR = REPO_ROOT / "var" / "test"


# Ports for the suite's servers: below the kernel's range for outgoing connections (Linux's
# default starts at 32768). A port from that range, which binding port 0 gives, can be taken
# by any process's outgoing connection before the server binds it; with four xdist workers
# each running servers and their clients, that happened (a dev stack found its port busy).
PORTS = range(20000, 32768)
_given: set[int] = set()
_random = random.SystemRandom()  # Hypothesis seeds the module's global generator in tests


def _slice() -> range:
    """This xdist worker's share of PORTS (all of it outside xdist), so workers never meet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    size = len(PORTS) // max(count, 1)
    start = PORTS.start + size * (int(worker) % max(count, 1) if worker.isdigit() else 0)
    return range(start, start + size)


def free_port() -> int:
    """A port nothing listens on, for a server started next; never the same twice in a process."""
    ports = _slice()
    if len(_given) > len(ports) // 2:
        _given.clear()
    for _ in range(100):
        port = _random.choice(ports)
        if port in _given:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or another run's server
        _given.add(port)
        return port
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
