"""Moved from tests/integration/test_dev_stack.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.helpers.cli import CANCELFLOW

READY_LINE = "cancelflow dev is running"


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@asynccontextmanager
async def dev_stack(env: dict[str, str], log: Path, kill: bool = False) -> AsyncIterator[str]:
    """Run `cancelflow dev`; yield its printed block; stop it with SIGINT (Ctrl-C), or with
    SIGKILL when `kill`."""
    dev = await asyncio.create_subprocess_exec(
        CANCELFLOW, "dev",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("ab"),
    )  # fmt: skip
    assert dev.stdout is not None
    printed: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not printed or not printed[-1].strip().startswith("cancelflow cases respond"):
                line = await dev.stdout.readline()
                if not line:
                    raise AssertionError("cancelflow dev exited before it was ready:\n" + tail(log))
                printed.append(line.decode())
        block = "".join(printed)
        assert READY_LINE in block
        yield block
    finally:
        if dev.returncode is None:
            dev.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        code = await asyncio.wait_for(dev.wait(), timeout=30)
    assert code == (-signal.SIGKILL if kill else 0), tail(log)
