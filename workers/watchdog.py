"""A small supervisor that stops the servers of `cancelflow dev` when `cancelflow dev` dies.

`cancelflow dev` starts it with a pipe on its stdin and writes one line per server to stop
("SIGNAL PID", e.g. "SIGINT 1234"). The pipe's only writer is `cancelflow dev`, so the pipe
ends when it exits however it exits, `kill -9` included: then the watchdog signals each
server still running, and kills the ones that do not stop within STOP_WITHIN seconds.
A clean stop ends the pipe too, once the servers were told to stop: the watchdog then stops
any that did not (a failed `pg_ctl stop`), and finds nothing to do otherwise.

Run as `python -m workers.watchdog`; it uses the standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import IO

STOP_WITHIN = 20.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(lines: IO[str]) -> list[tuple[signal.Signals, int]]:
    """The servers to stop once the pipe ends."""
    servers: list[tuple[signal.Signals, int]] = []
    for line in lines:
        name, pid = line.split()
        servers.append((signal.Signals[name], int(pid)))
    return servers


def stop(servers: list[tuple[signal.Signals, int]]) -> None:
    for sig, pid in servers:
        if _alive(pid):
            os.kill(pid, sig)
    deadline = time.monotonic() + STOP_WITHIN
    while any(_alive(pid) for _, pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    for _, pid in servers:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


class Watchdog:
    """The parent's side: start the watchdog, tell it what to stop, end it after a clean stop."""

    def __init__(self) -> None:
        # Its own session, ignoring Ctrl-C: a terminal's Ctrl-C must not end the watch.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "workers.watchdog"],
            stdin=subprocess.PIPE,
            start_new_session=True,
            text=True,
        )

    def stop_on_exit(self, pid: int, sig: signal.Signals = signal.SIGTERM) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{sig.name} {pid}\n")
        self._process.stdin.flush()

    def release(self) -> None:
        """After the servers were stopped: the watchdog stops any still running, then exits."""
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        self._process.wait(timeout=STOP_WITHIN + 10)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop(watch(sys.stdin))


if __name__ == "__main__":
    main()
