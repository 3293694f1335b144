"""The long-running processes: `cancelflow worker`, `dev`, `portal`, `mail-gateway` and
`codec serve` (with `codec new-key`, which makes the keys that server uses).

Each one reads its settings through workers.process.prepare_process and stops on SIGINT or
SIGTERM through workers.process.stop_on_signals.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from workers.commands.common import fail, load_settings, run, temporal_client

if TYPE_CHECKING:
    from workers.settings import Settings


@click.command("worker")
def worker() -> None:
    """Run a worker: case workflows and activities on the configured task queue.

    Temporal: TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_PROFILE.
    Database: DATABASE_URL. Mail: CANCELFLOW_SMTP__*. Stops gracefully on SIGTERM or Ctrl-C.
    """
    from workers import worker as worker_process
    from workers.process import prepare_process

    run(worker_process.serve(prepare_process(load_settings())))


@click.command("dev")
def dev() -> None:
    """Run the local stack: Temporal dev server + UI, PostgreSQL, mail sink, worker.

    State lives under CANCELFLOW_VAR_DIR (default ./var), so open cases survive a restart.
    Ctrl-C stops everything.
    """
    from workers import dev as dev_stack
    from workers.process import prepare_process

    run(dev_stack.serve(prepare_process(load_settings())))


# --- portal --------------------------------------------------------------------------------------


@click.command("portal")
def portal() -> None:
    """Serve the merchant portal (reply links) and the JSON APIs until SIGTERM/Ctrl-C.

    Listens on CANCELFLOW_PORTAL__HOST/PORT; links in emails use CANCELFLOW_PORTAL__PUBLIC_URL.
    Set CANCELFLOW_PORTAL__SECRET_KEY (the same as the workers') and
    CANCELFLOW_PORTAL__INTERNAL_API_KEY outside development.
    """
    from workers.process import prepare_process

    run(_serve_portal(prepare_process(load_settings())))


async def _serve_portal(settings: Settings) -> None:
    from workers.database import database_pool, database_url
    from workers.observability.tracing import configure_tracing
    from workers.process import stop_on_signals
    from workers.wiring import portal_from_settings

    configure_tracing("portal")
    client = await temporal_client(settings)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with (
            database_pool(database_url(settings), schema="check") as pool,
            portal_from_settings(settings, client, pool) as url,
        ):
            click.echo(f"portal on {url} (OpenAPI {url}/api/v1/openapi.json); Ctrl-C stops it")
            await stop.wait()


# --- mail gateway --------------------------------------------------------------------------------


@click.command("mail-gateway")
def mail_gateway() -> None:
    """Run the SMTP gateway that takes merchants' replies by email (until SIGTERM/Ctrl-C).

    Listens on CANCELFLOW_MAIL_GATEWAY__HOST/PORT for reply+<token>@CANCELFLOW_EMAIL__REPLY_DOMAIN.
    """
    from workers.process import prepare_process

    run(_serve_mail_gateway(prepare_process(load_settings())))


async def _serve_mail_gateway(settings: Settings) -> None:
    from workers.database import check_schema, database_url
    from workers.mail_gateway_service import gateway_pool, running_gateway_ops, running_mail_gateway
    from workers.process import stop_on_signals

    pool = await gateway_pool(database_url(settings))
    try:
        await check_schema(pool)
        client = await temporal_client(settings)
        stop = asyncio.Event()
        with stop_on_signals(stop):
            async with (
                running_mail_gateway(settings, pool, client) as gateway,
                running_gateway_ops(settings, pool, client),
            ):
                click.echo(
                    f"mail gateway on {gateway.host}:{gateway.port} for "
                    f"reply+...@{settings.email.reply_domain}; Ctrl-C stops it"
                )
                await stop.wait()
    finally:
        await pool.close()


# --- codec server --------------------------------------------------------------------------------


@click.group("codec")
def codec() -> None:
    """Payload encryption keys and the codec server for the Temporal UI."""


@codec.command("new-key")
@click.argument("key_id")
def new_key_command(key_id: str) -> None:
    """Print a new AES-256 key as 'KEY_ID:base64' for CANCELFLOW_CODEC__KEYS.

    To rotate, put the new key first and keep the old ones after it: the first encrypts,
    all of them decrypt.
    """
    from workers.codec import CodecKeyError, format_keys, new_key, parse_keys

    text = format_keys([new_key(key_id)])
    try:
        parse_keys(text)
    except CodecKeyError as err:
        fail(str(err).replace("CANCELFLOW_CODEC__KEYS entry 1", "KEY_ID"))
    click.echo(text)


@codec.command("rewrap-case-keys")
def rewrap_case_keys() -> None:
    """Re-wrap every case's key under the first key of CANCELFLOW_CODEC__KEYS, so an older
    ring key is no longer needed to read any case (docs/privacy.md)."""
    from storage.case_keys import CaseKeyStore, RingKey
    from workers.codec import configured_keys
    from workers.commands.common import database

    settings = load_settings()
    keys = configured_keys(settings)
    if not keys:
        fail("CANCELFLOW_CODEC__KEYS is not set: there is no ring to wrap the case keys with")

    async def rewrap() -> int:
        async with database(settings) as pool:
            ring = [RingKey(k.key_id, k.secret) for k in keys]
            return await CaseKeyStore(pool, ring).rewrap()

    count = run(rewrap())
    click.echo(f"re-wrapped {count} case key(s) under ring key '{keys[0].key_id}'")


@codec.command("serve")
def codec_serve() -> None:
    """Serve the codec over HTTP for the Temporal UI (`--ui-codec-endpoint`), until Ctrl-C."""
    from workers.process import prepare_process

    run(_serve_codec(prepare_process(load_settings())))


async def _serve_codec(settings: Settings) -> None:
    from workers.codec import payload_codec
    from workers.codec_server import running_codec_server, ui_origins
    from workers.process import stop_on_signals

    if settings.codec.keys is None:
        fail("CANCELFLOW_CODEC__KEYS is not set: there is nothing to decrypt with")
    # With case keys on, it reads each case's key (named in the payload) from PostgreSQL.
    codec_ = payload_codec(settings)
    assert codec_ is not None
    origins = settings.codec.allowed_origins or ui_origins(settings.temporal.dev_ui_port)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with running_codec_server(
            codec_, settings.codec.host, settings.codec.port, origins
        ) as url:
            click.echo(f"codec server at {url} for {', '.join(origins)}; Ctrl-C stops it")
            await stop.wait()
