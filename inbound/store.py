"""PostgreSQL storage for reply-by-email: the merchant replies received.

Tables from migration 0003_inbound_mail.sql. Used by the mail gateway (to store the reply)
and the ops CLI (to show a case's replies). The reply addresses themselves are a store of
storage/ (storage/reply_addresses.py), which the merchant email activity also writes.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import asyncpg

# Re-exported for the gateway and its tests, which read addresses and replies together.
from storage.reply_addresses import ReplyAddresses as ReplyAddresses
from storage.reply_addresses import ReplyTarget as ReplyTarget


@dataclass(frozen=True)
class StoredReply:
    id: int
    case_id: str
    message_id: str
    sender: str
    subject: str
    received_at: datetime
    signal_status: str
    signal_attempts: int = 0
    last_signal_error: str | None = None
    sender_verified: bool = True
    unverified_reason: str | None = None
    """Why the reply is unverified (None when verified), in words for ops."""


@dataclass(frozen=True)
class StoreResult:
    reply: StoredReply
    created: bool
    """False when this Message-ID was already stored for the case (a resend)."""


UNKNOWN_SENDER = "not from one of the merchant's contacts"

_COLUMNS = (
    "id, case_id, message_id, sender, subject, received_at, signal_status, signal_attempts, "
    "last_signal_error, sender_verified, unverified_reason"
)


def _reply(row: asyncpg.Record) -> StoredReply:
    return StoredReply(**dict(row))


class InboundMailStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def store(
        self,
        case_id: str,
        message_id: str,
        sender: str,
        subject: str,
        raw: bytes,
        received_at: datetime,
        sender_verified: bool = True,
        unverified_reason: str | None = None,
    ) -> StoreResult:
        """Store a reply once per (case, Message-ID); committed when this returns."""
        row = await self._pool.fetchrow(
            f"""
            INSERT INTO inbound_mail (case_id, message_id, sender, subject, raw, received_at,
                                      sender_verified, unverified_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (case_id, message_id) DO NOTHING
            RETURNING {_COLUMNS}
            """,
            case_id,
            message_id,
            sender,
            subject,
            raw,
            received_at,
            sender_verified,
            None if sender_verified else (unverified_reason or UNKNOWN_SENDER)[:300],
        )
        if row is not None:
            return StoreResult(_reply(row), created=True)
        existing = await self.get(case_id, message_id)
        assert existing is not None
        return StoreResult(existing, created=False)

    async def get(self, case_id: str, message_id: str) -> StoredReply | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM inbound_mail WHERE case_id = $1 AND message_id = $2",
            case_id,
            message_id,
        )
        return _reply(row) if row else None

    async def replies_for(self, case_id: str) -> list[StoredReply]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM inbound_mail WHERE case_id = $1 ORDER BY received_at, id",
            case_id,
        )
        return [_reply(row) for row in rows]

    async def raw_message(self, reply_id: int) -> EmailMessage:
        raw = await self._pool.fetchval("SELECT raw FROM inbound_mail WHERE id = $1", reply_id)
        if raw is None:
            raise KeyError(reply_id)
        message = email.message_from_bytes(bytes(raw), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message

    async def due_for_signal(self, limit: int = 50) -> list[StoredReply]:
        rows = await self._pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM inbound_mail
            WHERE signal_status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id LIMIT $1
            """,
            limit,
        )
        return [_reply(row) for row in rows]

    async def mark_signalled(self, reply_id: int, status: str = "delivered") -> None:
        await self._pool.execute(
            """
            UPDATE inbound_mail SET signal_status = $2, signalled_at = now(),
                signal_attempts = signal_attempts + 1, last_signal_error = NULL
            WHERE id = $1
            """,
            reply_id,
            status,
        )

    async def mark_signal_failed(self, reply_id: int, error: str, retry_in: timedelta) -> None:
        await self._pool.execute(
            """
            UPDATE inbound_mail SET signal_attempts = signal_attempts + 1,
                last_signal_error = $2, next_attempt_at = now() + $3
            WHERE id = $1
            """,
            reply_id,
            error[:500],
            retry_in,
        )


def text_of(message: EmailMessage, max_chars: int = 4000) -> str:
    """The readable text of a reply, for ops at a terminal."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        return "(the message body could not be decoded; see the raw message)"
    text = str(content).strip()
    return text if len(text) <= max_chars else text[:max_chars] + "\n[...]"
