"""Wiring of the mail gateway: SMTP listener, PostgreSQL store and the workflow signaller.

Used by `cancelflow mail-gateway` (its own process in production) and by `cancelflow dev`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from temporalio.client import Client

from domain.reply_address import ReplyAddressSigner
from inbound.gateway import MailGateway, ReplyHandler, server_tls_context
from inbound.signaller import ReplySignaller
from inbound.store import InboundMailStore, ReplyAddresses
from storage.db import create_pool
from workers.settings import Settings


def reply_address_signer(settings: Settings) -> ReplyAddressSigner:
    # The portal secret signs reply links; reply addresses derive their own keys from it.
    return ReplyAddressSigner(settings.portal.secret_key.get_secret_value())


def reply_addresses(settings: Settings, pool: asyncpg.Pool) -> ReplyAddresses:
    """What the merchant email activity uses to offer (and register) a case's reply address."""
    return ReplyAddresses(pool, reply_address_signer(settings), settings.email.reply_domain)


@asynccontextmanager
async def running_mail_gateway(
    settings: Settings, pool: asyncpg.Pool, client: Client
) -> AsyncIterator[MailGateway]:
    """The gateway listening on settings.mail_gateway.host:port until the context exits."""
    store = InboundMailStore(pool)
    signaller = ReplySignaller(store, client)
    config = settings.mail_gateway
    handler = ReplyHandler(
        reply_address_signer(settings),
        settings.email.reply_domain,
        reply_addresses(settings, pool),
        store,
        on_stored=signaller.wake,
        # Processes get it set by settings_for_process; only Settings built in code (tests)
        # arrive here without one.
        sender_authentication=config.sender_authentication or "from_header",
        dkim_time_limit=config.dkim_timeout_seconds,
    )
    tls = None
    if config.tls_cert_file is not None or config.tls_key_file is not None:
        if config.tls_cert_file is None or config.tls_key_file is None:
            raise ValueError(
                "CANCELFLOW_MAIL_GATEWAY__TLS_CERT_FILE and __TLS_KEY_FILE: "
                "give both (PEM files) to offer STARTTLS, or neither"
            )
        tls = server_tls_context(config.tls_cert_file, config.tls_key_file)
    gateway = MailGateway(
        handler,
        config.host,
        config.port,
        max_message_bytes=config.max_message_bytes,
        hostname=config.hostname,
        tls_context=tls,
    )
    await gateway.start()
    signalling = asyncio.create_task(signaller.run(), name="mail-gateway-signaller")
    try:
        yield gateway
    finally:
        signalling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await signalling
        await gateway.stop()


async def gateway_pool(url: str) -> asyncpg.Pool:
    """A pool that opens connections on demand, so a PostgreSQL outage means 451, not a crash."""
    return await create_pool(url, min_size=0, max_size=5)


@asynccontextmanager
async def running_gateway_ops(
    settings: Settings, pool: asyncpg.Pool, client: Client
) -> AsyncIterator[str]:
    """/healthz, /readyz (PostgreSQL, Temporal) and /metrics of the mail gateway, on
    CANCELFLOW_OPS__MAIL_GATEWAY_PORT."""
    from prometheus_client import CollectorRegistry, Gauge

    from workers.observability.checks import postgres_check, temporal_check
    from workers.observability.ops_server import ops_routes, running_ops_server

    registry = CollectorRegistry()
    replies = Gauge(
        "cancelflow_inbound_mail",
        "Merchant replies taken in, by whether their case was told (pending, delivered, ...)",
        ["signal_status"],
        registry=registry,
    )

    async def refresh() -> None:
        rows = await pool.fetch(
            "SELECT signal_status, count(*) AS n FROM inbound_mail GROUP BY signal_status"
        )
        counts = {row["signal_status"]: row["n"] for row in rows}
        for status in ("pending", "delivered", "case_closed"):
            replies.labels(signal_status=status).set(counts.get(status, 0))

    ops = settings.ops
    routes = ops_routes(
        {"postgres": postgres_check(pool), "temporal": temporal_check(client)},
        registry,
        timeout=ops.check_timeout_seconds,
        refresh=[refresh],
    )
    async with running_ops_server(ops.host, ops.mail_gateway_port, routes) as url:
        yield url
