"""PostgreSQL storage for reply-by-email: the merchant replies received.

Tables from migration 0003_inbound_mail.sql. Used by the mail gateway (to store the reply),
the signaller (to hand it to the case) and the ops CLI (to show a case's replies). The reply
addresses are storage/reply_addresses.py, which the merchant email activity also writes.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from domain.common import Locale
from domain.merchant import Merchant
from domain.replies.note import ReplySuggestion


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
    suggestion: ReplySuggestion | None = None
    """What the reply reader made of it (None for replies stored before it existed)."""


@dataclass(frozen=True)
class StoreResult:
    reply: StoredReply
    created: bool
    """False when this Message-ID was already stored for the case (a resend)."""


UNKNOWN_SENDER = "not from one of the merchant's contacts"

_COLUMNS = (
    "id, case_id, message_id, sender, subject, received_at, signal_status, signal_attempts, "
    "last_signal_error, sender_verified, unverified_reason, suggestion::text AS suggestion"
)


def _reply(row: asyncpg.Record) -> StoredReply:
    data = dict(row)
    note = data.pop("suggestion", None)
    return StoredReply(
        **data, suggestion=ReplySuggestion.model_validate_json(note) if note else None
    )


@dataclass(frozen=True)
class ReplyPolicy:
    """What the case's merchant says about its email replies (Merchant's own fields)."""

    merchant_id: str
    locale: Locale
    timezone: str
    auto_record: bool
    threshold: float


log = structlog.get_logger("mail_gateway")


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
        suggestion: ReplySuggestion | None = None,
    ) -> StoreResult:
        """Store a reply once per (case, Message-ID); committed when this returns."""
        row = await self._pool.fetchrow(
            f"""
            INSERT INTO inbound_mail (case_id, message_id, sender, subject, raw, received_at,
                                      sender_verified, unverified_reason, suggestion)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
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
            suggestion.model_dump_json() if suggestion is not None else None,
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

    async def reply_policy(self, case_id: str) -> ReplyPolicy | None:
        """The case's merchant's language, time zone and auto-record opt-in (None: unknown)."""
        row = await self._pool.fetchrow(
            """
            SELECT m.merchant_id, m.merchant::text AS merchant
            FROM reply_addresses r JOIN merchants m ON m.merchant_id = r.merchant_id
            WHERE r.case_id = $1
            """,
            case_id,
        )
        if row is None:
            return None
        merchant = Merchant.model_validate_json(row["merchant"])
        return ReplyPolicy(
            merchant.merchant_id,
            merchant.locale,
            merchant.timezone,
            merchant.auto_record_replies,
            merchant.auto_record_threshold,
        )

    async def save_suggestion(self, reply_id: int, suggestion: ReplySuggestion) -> None:
        """Store the reading of a reply stored without one (before the reader existed)."""
        await self._pool.execute(
            "UPDATE inbound_mail SET suggestion = $2::jsonb WHERE id = $1 AND suggestion IS NULL",
            reply_id,
            suggestion.model_dump_json(),
        )

    async def read(self, case_id: str, raw: bytes, received_at: datetime) -> ReplySuggestion:
        """The reader's reading of a reply: on its merchant's calendar day, in its language."""
        from domain.replies.reader import note_of, read_reply  # the reader only when needed

        policy = await self.reply_policy(case_id)
        zone = ZoneInfo(policy.timezone) if policy else UTC
        day = received_at.astimezone(zone).date()
        return note_of(read_reply(raw, day, policy.locale if policy else "en"))

    async def read_or_none(
        self, case_id: str, raw: bytes, received_at: datetime, within: float
    ) -> ReplySuggestion | None:
        """The reading for the gateway: a failure costs the reply nothing (triage reads later)."""
        try:
            return await asyncio.wait_for(self.read(case_id, raw, received_at), within)
        except Exception as err:  # noqa: BLE001 - see the docstring
            log.warning("mail.reading_failed", case_id=case_id, error=type(err).__name__)
            return None

    async def suggestion_of(self, reply: StoredReply) -> ReplySuggestion:
        """The stored reading, or (a reply stored before the reader) one made now and stored."""
        if reply.suggestion is not None:
            return reply.suggestion
        note = await self.read(reply.case_id, await self.raw_bytes(reply.id), reply.received_at)
        await self.save_suggestion(reply.id, note)
        return note

    async def latest_reply(self, case_id: str) -> StoredReply | None:
        """The reply that puts a case in triage: its latest from a verified sender (else its
        latest at all)."""
        replies = await self.replies_for(case_id)
        candidates = [r for r in replies if r.sender_verified] or replies
        return candidates[-1] if candidates else None

    async def latest_suggestion(self, case_id: str) -> ReplySuggestion | None:
        reply = await self.latest_reply(case_id)
        return None if reply is None else await self.suggestion_of(reply)

    async def raw_bytes(self, reply_id: int) -> bytes:
        raw = await self._pool.fetchval("SELECT raw FROM inbound_mail WHERE id = $1", reply_id)
        if raw is None:
            raise KeyError(reply_id)
        return bytes(raw)

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


async def erase_case_replies(
    pool: asyncpg.Pool | asyncpg.Connection, case_id: str, marker: str
) -> int:
    """Erasure (issue 20): the case's replies keep their Message-IDs, times and signal states
    and lose their senders, subjects, raw messages and the reasons naming their senders."""
    status = await pool.execute(
        "UPDATE inbound_mail SET sender = $2, subject = $2, raw = ''::bytea, "
        "unverified_reason = CASE WHEN unverified_reason IS NULL THEN NULL ELSE $2 END, "
        "last_signal_error = CASE WHEN last_signal_error IS NULL THEN NULL ELSE $2 END "
        "WHERE case_id = $1 AND (sender <> $2 OR octet_length(raw) > 0)",
        case_id,
        marker,
    )
    return int(status.split()[-1])
