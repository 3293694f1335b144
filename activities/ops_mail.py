"""Plain-text emails to ops (the daily digest, a webhook delivery that gave up), sent once.

The outbox claim makes a retried activity find the email already sent; the row is marked
sent the moment the relay accepts it, as for every other email (README, "What is guaranteed
when processes die").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from activities import contracts
from activities.config import EmailSettings
from activities.smtp import SmtpSender
from storage.outbox import Outbox, OutboxEntry


async def send_to_ops_once(
    outbox: Outbox,
    sender: SmtpSender,
    settings: EmailSettings,
    entry: OutboxEntry,
    text: Callable[[], Awaitable[str]],
) -> contracts.EmailSent:
    """Sends entry's email to ops with the text made by `text` (only when not sent yet)."""
    async with outbox.claim(entry) as claim:
        if claim.sent_at is not None:
            return contracts.EmailSent(
                message_id=entry.message_id, sent_at=claim.sent_at, already_sent=True
            )
        message = EmailMessage()
        message["From"] = settings.from_address
        message["To"] = settings.ops_address
        message["Subject"] = entry.subject
        message["Message-ID"] = entry.message_id
        message["Date"] = format_datetime(datetime.now(UTC))
        # Keeps out-of-office replies away from automated mail (RFC 3834).
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(await text())
        await sender.send(message, on_accepted=claim.mark_sent)
        sent_at = claim.sent_at
    assert sent_at is not None, "the sender returned without the relay's acceptance"
    return contracts.EmailSent(message_id=entry.message_id, sent_at=sent_at)
