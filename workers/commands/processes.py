"""`cancelflow worker` and `cancelflow dev`: the long-running processes."""

from __future__ import annotations

import click

from workers.commands.common import load_settings, run


@click.command("worker")
def worker() -> None:
    """Run a worker: case workflows and activities on the configured task queue.

    Temporal: TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_PROFILE.
    Database: DATABASE_URL. Mail: CANCELFLOW_SMTP__*. Stops gracefully on SIGTERM or Ctrl-C.
    """
    from workers.logging import configure_logging
    from workers.worker import serve

    settings = load_settings()
    configure_logging(settings.log_level)
    run(serve(settings))


@click.command("dev")
def dev() -> None:
    """Run the local stack: Temporal dev server + UI, PostgreSQL, mail sink, worker.

    State lives under CANCELFLOW_VAR_DIR (default ./var), so open cases survive a restart.
    Ctrl-C stops everything.
    """
    from workers.dev import serve
    from workers.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    run(serve(settings))
