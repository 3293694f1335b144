"""`cancelflow ops-console`: the ops console (inbox, case pages, acts, merchants) for the
internal network, behind the company's OpenID Connect sign-in (docs/ops-console.md).

Only click is imported at the top: the rest loads when the command runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from workers.settings import Settings


@click.command("ops-console")
def ops_console() -> None:
    """Serve the ops console until SIGTERM/Ctrl-C (CANCELFLOW_CONSOLE__HOST/PORT).

    Sign-in: CANCELFLOW_CONSOLE__ISSUER, __CLIENT_ID, __CLIENT_SECRET and __ROLE_CLAIM; the
    redirect URI to register at the provider is <CANCELFLOW_CONSOLE__PUBLIC_URL>/auth/callback.
    """
    from workers.commands.common import CliError, load_settings, run
    from workers.process import prepare_process
    from workers.settings import console_refusals

    settings = load_settings()
    problems = console_refusals(settings)
    if problems:
        raise CliError(*problems)
    run(_serve(prepare_process(settings)))


async def _serve(settings: Settings) -> None:
    import asyncio

    from console.service import running_console
    from workers.commands.common import temporal_client
    from workers.database import database_pool, database_url
    from workers.observability.tracing import configure_tracing
    from workers.process import stop_on_signals

    configure_tracing("ops-console")
    client = await temporal_client(settings)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with (
            database_pool(database_url(settings), schema="check") as pool,
            running_console(
                settings.console,
                client,
                pool,
                settings.webhooks.secrets_key.get_secret_value(),
                task_queue=settings.temporal.task_queue,
            ) as url,
        ):
            issuer = settings.console.issuer
            click.echo(f"ops console on {url} (sign-in at {issuer}); Ctrl-C stops it")
            await stop.wait()
