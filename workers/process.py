"""What every long-running cancelflow process shares: how it reads its settings and how it
stops (SIGINT/SIGTERM -> a graceful stop).

The worker, the portal, the mail gateway, the codec server and `cancelflow dev` all start
through here, so a rule for every process has one place to live.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from workers.logging import configure_logging
from workers.settings import Settings, warn_if_plaintext

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def prepare_process(settings: Settings) -> Settings:
    """Logging set up for a long-running process.

    Its settings were already checked when loaded (workers.commands.common.load_settings ->
    workers.settings.settings_for_process, which exempts `cancelflow dev` only).
    """
    configure_logging(settings.log_level)
    warn_if_plaintext(settings)
    return settings


@contextmanager
def stop_on_signals(
    stop: asyncio.Event, *, on_repeat: Callable[[], None] | None = None
) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` while the block runs (the process then stops gracefully).

    on_repeat: called when a signal arrives while already stopping (e.g. to say what it waits for).
    """
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set() and on_repeat is not None:
            on_repeat()
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
