"""Issue 9 #10: the outbox row is 'sent' (committed) the moment the relay accepts the message,
before the next command on that connection (QUIT, or the next email's MAIL now that
connections are reused); a connection lost after that sends nothing twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiosmtplib
import asyncpg
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from domain.reply_token import ReplyTokenSigner
from storage.outbox import Outbox
from tests.helpers.emails import CASE_ID, PORTAL_BASE_URL, merchant_input
from tests.helpers.servers import free_port


class Relay:
    """Accepts every message; at the command after it (QUIT or the next MAIL) it reads the
    outbox row, then drops the connection."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.accepted: list[bytes] = []
        self.status_after_data: list[str | None] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.accepted.append(bytes(envelope.original_content or b""))
        return "250 2.0.0 Queued"


class DroppingSMTP(SMTP):
    """Drops a connection at its first command after an accepted message."""

    delivered = False

    async def _drop_if_delivered(self) -> bool:
        if not self.delivered:
            return False
        relay = self.event_handler
        assert isinstance(relay, Relay)
        # Another connection reads what a crash right now would leave behind.
        status = await relay.pool.fetchval(
            "SELECT status FROM email_outbox WHERE case_id = $1 AND kind = 'request'", CASE_ID
        )
        relay.status_after_data.append(status)
        assert isinstance(self.transport, asyncio.Transport)
        self.transport.abort()  # no reply: as if the connection broke after DATA
        return True

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        await super().smtp_DATA(arg)
        self.delivered = True

    async def smtp_QUIT(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        if not await self._drop_if_delivered():
            await super().smtp_QUIT(arg)

    async def smtp_MAIL(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's command name
        if not await self._drop_if_delivered():
            await super().smtp_MAIL(arg)


@pytest.fixture
async def relay(pool: asyncpg.Pool) -> AsyncIterator[tuple[Relay, int]]:
    handler = Relay(pool)
    port = free_port()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: DroppingSMTP(handler, hostname="relay.test", loop=loop), "127.0.0.1", port
    )
    try:
        yield handler, port
    finally:
        server.close()
        await server.wait_closed()


async def test_sent_is_committed_before_quit_and_a_broken_quit_sends_nothing_twice(
    relay: tuple[Relay, int], pool: asyncpg.Pool
) -> None:
    handler, port = relay
    activities = EmailActivities(
        smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=10),
        email=EmailSettings(
            from_address="cancellations@cancelflow.test",
            ops_address="ops@cancelflow.test",
            message_id_domain="cancelflow.test",
            reply_domain="reply.cancelflow.test",
            support_address="support@cancelflow.test",
        ),
        links=ReplyTokenSigner("a-test-secret-of-enough-length"),
        portal_base_url=PORTAL_BASE_URL,
        outbox=Outbox(pool),
    )
    env = ActivityEnvironment()
    first: Any = await env.run(activities.send_merchant_request, merchant_input())
    assert isinstance(first, contracts.EmailSent) and not first.already_sent
    # The next command on that connection (the next email's, or QUIT) finds 'sent' committed.
    reminder = merchant_input(contracts.MerchantEmailKind.REMINDER, reminder_number=1)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await env.run(activities.send_merchant_reminder, reminder)
    assert handler.status_after_data == ["sent"]
    # A retry (as after a crash right after DATA) finds it sent and sends nothing.
    again: Any = await env.run(activities.send_merchant_request, merchant_input())
    assert again.already_sent and again.message_id == first.message_id
    # The reminder, refused with the connection, goes out once on a new one.
    sent: Any = await env.run(activities.send_merchant_reminder, reminder)
    assert not sent.already_sent
    assert len(handler.accepted) == 2
