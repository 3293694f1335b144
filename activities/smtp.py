"""Delivery over real SMTP, with the one failure retrying cannot fix made non-retryable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import structlog
from temporalio.exceptions import ApplicationError

from activities import contracts
from activities.config import SmtpSettings

log = structlog.get_logger()

# Retryable: a 4xx on RCPT (greylisting, full mailbox) usually clears up.
RECIPIENTS_DEFERRED = "RecipientsDeferred"


# Connections kept open for the next email: a relay closes idle ones after 30 s to minutes
# (RFC 5321 asks servers to wait 5 minutes), and many cap the messages per connection.
IDLE_LIMIT_SECONDS = 10.0
MESSAGES_PER_CONNECTION = 100


@dataclass
class _Connection:
    smtp: aiosmtplib.SMTP
    sent: int = 0
    idle_since: float = 0.0


class SmtpSender:
    """Sends over a bounded pool of SMTP connections.

    At most `max_connections` sends run at once (the rest wait their turn), so a batch of
    emails due together cannot crowd the worker's event loop or the relay; and a connection
    is used again for the next email, which saves its connect, greeting, EHLO and QUIT.
    """

    def __init__(self, settings: SmtpSettings, max_connections: int = 8) -> None:
        if not settings.host:
            raise ValueError("smtp.host: required to send email (cancelflow dev sets it)")
        if max_connections < 1:
            raise ValueError("max_connections: must be at least 1")
        self._settings = settings
        self._max_connections = max_connections
        self._idle: list[_Connection] = []
        self._gate: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(
        self, message: EmailMessage, on_accepted: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        """Deliver or raise: ADDRESS_REJECTED (non-retryable) when every recipient got a 5xx.

        on_accepted runs as soon as the relay's reply to DATA says it took the message, before
        anything else: what the caller records there survives a connection that fails afterwards.
        """
        async with self.turn():
            await self.send_in_turn(message, on_accepted)

    async def send_in_turn(
        self, message: EmailMessage, on_accepted: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        """send(), inside a turn the caller holds (`async with sender.turn():`)."""
        connection = await self._take()
        try:
            refused = await _deliver(connection.smtp, message, on_accepted)
        except BaseException:
            # Whatever state the session is in, it is not reused.
            await _quit(connection.smtp)
            raise
        self._give_back(connection)
        if refused:
            # Delivered to the others; whoever is left out is in the outbox row's recipient list.
            log.warning(
                "email.some_recipients_refused",
                refused_count=len(refused),
                codes=sorted({response.code for response in refused.values()}),
            )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One of the max_connections sends: held around what must wait for the relay."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._loop is not loop:
            # Connections and the semaphore belong to one event loop (tests run several).
            for stale in self._idle:
                stale.smtp.close()
            self._idle.clear()
            self._gate = asyncio.Semaphore(self._max_connections)
            self._loop = loop
        async with self._gate:
            yield

    async def _take(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            # A connection the relay closed shows as disconnected once the loop saw it close.
            if connection.smtp.is_connected and now - connection.idle_since < IDLE_LIMIT_SECONDS:
                return connection
            await _quit(connection.smtp)
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            use_tls=settings.use_tls,
            start_tls=settings.starttls,
            cert_bundle=settings.ca_file,
            timeout=settings.timeout_seconds,
        )
        await smtp.connect()
        return _Connection(smtp)

    def _give_back(self, connection: _Connection) -> None:
        connection.sent += 1
        if connection.sent >= MESSAGES_PER_CONNECTION or not connection.smtp.is_connected:
            asyncio.get_running_loop().create_task(_quit(connection.smtp))
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)


async def _deliver(
    smtp: aiosmtplib.SMTP,
    message: EmailMessage,
    on_accepted: Callable[[], Awaitable[object]] | None,
) -> dict[str, aiosmtplib.SMTPResponse]:
    try:
        refused, _ = await smtp.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as err:
        # Codes only, and no exception chain: the server's text usually quotes the address,
        # and Temporal records the message and its causes in history and worker logs.
        codes = sorted({r.code for r in err.recipients})
        listed = ", ".join(map(str, codes))
        if all(500 <= code < 600 for code in codes):
            raise ApplicationError(
                f"the mail server rejected every recipient (SMTP {listed})",
                type=contracts.ADDRESS_REJECTED,
                non_retryable=True,
            ) from None
        raise ApplicationError(
            f"the mail server refused the recipients for now (SMTP {listed})",
            type=RECIPIENTS_DEFERRED,
        ) from None
    if on_accepted is not None:
        await on_accepted()
    return refused


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    """Say goodbye if the connection still allows it: the message's fate is already known."""
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        smtp.close()
