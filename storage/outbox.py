"""The email outbox: at most one successful send per (case, round, kind).

An email is claimed (row 'sending', committed) before the SMTP transaction and marked
'sent' after it. While sending, the row stays locked (SELECT ... FOR UPDATE), so a second
attempt running at the same time (a timed-out attempt that is still alive) waits and then
sees 'sent'. A row left in 'sending' means an attempt died mid-send: the next attempt sends
again with the same Message-ID, because losing the email is worse than a duplicate that
mail clients can recognise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg


@dataclass(frozen=True)
class OutboxEntry:
    case_id: str
    round: int
    kind: str
    message_id: str
    recipient: str
    subject: str


@dataclass(frozen=True)
class OutboxRecord:
    case_id: str
    round: int
    kind: str
    message_id: str
    recipient: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class OutboxClaim:
    """The locked outbox row of one email, for the duration of a send."""

    def __init__(self, conn: asyncpg.Connection, entry: OutboxEntry, sent_at: datetime | None):
        self._conn = conn
        self._entry = entry
        self.sent_at = sent_at

    @property
    def already_sent(self) -> bool:
        return self.sent_at is not None

    async def mark_sent(self) -> datetime:
        sent_at: datetime = await self._conn.fetchval(
            """
            UPDATE email_outbox SET status = 'sent', sent_at = now()
             WHERE case_id = $1 AND round = $2 AND kind = $3
            RETURNING sent_at
            """,
            self._entry.case_id,
            self._entry.round,
            self._entry.kind,
        )
        self.sent_at = sent_at
        return sent_at


class OutboxConflict(RuntimeError):
    """The key is taken by a different email (another Message-ID): a programming error."""


class Outbox:
    def __init__(self, pool: asyncpg.Pool, lock_timeout: timedelta = timedelta(minutes=2)):
        self._pool = pool
        self._lock_timeout_ms = int(lock_timeout.total_seconds() * 1000)

    @asynccontextmanager
    async def claim(self, entry: OutboxEntry) -> AsyncIterator[OutboxClaim]:
        """Yield the claim of this email; commits 'sent' only if the block calls mark_sent()."""
        await self._pool.execute(
            """
            INSERT INTO email_outbox (case_id, round, kind, message_id, recipient, subject)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING
            """,
            entry.case_id,
            entry.round,
            entry.kind,
            entry.message_id,
            entry.recipient,
            entry.subject,
        )
        async with self._pool.acquire() as conn, conn.transaction():
            # Waiting for a hung sender must end in a retryable error, not a stuck worker slot.
            await conn.execute(f"SET LOCAL lock_timeout = {self._lock_timeout_ms}")
            row = await conn.fetchrow(
                """
                SELECT message_id, status, sent_at FROM email_outbox
                 WHERE case_id = $1 AND round = $2 AND kind = $3
                   FOR UPDATE
                """,
                entry.case_id,
                entry.round,
                entry.kind,
            )
            if row is None or row["message_id"] != entry.message_id:
                raise OutboxConflict(
                    f"outbox key ({entry.case_id}, {entry.round}, {entry.kind}) does not hold "
                    f"message {entry.message_id}"
                )
            yield OutboxClaim(conn, entry, row["sent_at"] if row["status"] == "sent" else None)

    async def get(self, case_id: str, round: int, kind: str) -> OutboxRecord | None:
        row = await self._pool.fetchrow(
            """
            SELECT case_id, round, kind, message_id, recipient, subject, status, created_at,
                   sent_at
              FROM email_outbox WHERE case_id = $1 AND round = $2 AND kind = $3
            """,
            case_id,
            round,
            kind,
        )
        return None if row is None else OutboxRecord(**dict(row))
