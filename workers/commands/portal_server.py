"""`cancelflow portal`: the merchant portal and the HTTP APIs as their own process."""

from __future__ import annotations

import asyncio
import signal

import click

from workers.commands.common import load_settings, run
from workers.settings import Settings, warn_about_insecure_defaults


@click.command("portal")
def portal() -> None:
    """Serve the merchant portal (reply links) and the JSON APIs until SIGTERM/Ctrl-C.

    Listens on CANCELFLOW_PORTAL__HOST/PORT; links in emails use CANCELFLOW_PORTAL__PUBLIC_URL.
    Set CANCELFLOW_PORTAL__SECRET_KEY (the same as the workers') and
    CANCELFLOW_PORTAL__INTERNAL_API_KEY outside development.
    """
    from workers.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    warn_about_insecure_defaults(settings)
    run(_serve(settings))


async def _serve(settings: Settings) -> None:
    from portal.service import running_portal
    from workers.database import database_pool, database_url
    from workers.temporal_client import connect

    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with (
            database_pool(database_url(settings)) as pool,
            running_portal(
                settings.portal,
                client,
                pool,
                settings.temporal.task_queue,
                support_address=settings.email.support_address,
            ) as url,
        ):
            click.echo(f"portal on {url} (OpenAPI {url}/api/v1/openapi.json); Ctrl-C stops it")
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
