"""The email outbox: at most one successful send per (case, round, kind).

An email is claimed (row 'sending', committed) before the SMTP transaction. While sending,
the row stays locked (SELECT ... FOR UPDATE), so a second attempt running at the same time (a
timed-out attempt that is still alive) waits and then sees 'sent'. 'sent' is written and
committed in the step that learns the relay accepted the message (right after its reply to
DATA, before QUIT or anything else), which releases the lock.

What is guaranteed: nothing is lost (a row left in 'sending' is sent again by the next
attempt); a duplicate happens only if the process dies, or the database refuses the write,
between the relay's acceptance and that commit, and it has the same Message-ID, so mail
clients can recognise it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from storage.reply_addresses import ReplyRegistration


@dataclass(frozen=True)
class OutboxEntry:
    case_id: str
    round: int
    kind: str
    message_id: str
    recipient: str
    subject: str
    reply_to: ReplyRegistration | None = None
    """The reply address the email offers, registered (idempotently) in the claim's first
    statement, so it is committed before the message can reach anyone."""


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

    def __init__(
        self,
        conn: asyncpg.Connection,
        entry: OutboxEntry,
        sent_at: datetime | None,
        row: tuple[int, int],
        now: datetime,
    ):
        self._conn = conn
        self._entry = entry
        self._row = row
        self._now = now
        self.sent_at = sent_at
        self.committed = False

    @property
    def already_sent(self) -> bool:
        return self.sent_at is not None

    async def mark_sent(self) -> datetime:
        """Write 'sent' and commit it now (ending the claim's lock): call it first thing after
        the relay accepted the message."""
        # 'sent' and its commit in one round trip: a query of two statements takes no
        # parameters, so the row is named by its ctid (two integers PostgreSQL gave with the
        # lock, and the lock keeps them). now() is the transaction's start, as read with the
        # lock: the sent_at written.
        block, offset = self._row
        await self._conn.execute(
            "UPDATE email_outbox SET status = 'sent', sent_at = now() "
            f"WHERE ctid = '({int(block)},{int(offset)})'; COMMIT"
        )
        self.committed = True
        self.sent_at = self._now
        return self._now


class OutboxConflict(RuntimeError):
    """The key is taken by a different email (another Message-ID): a programming error."""


class Outbox:
    def __init__(self, pool: asyncpg.Pool, lock_timeout: timedelta = timedelta(minutes=2)):
        self._pool = pool
        self._lock_timeout_ms = int(lock_timeout.total_seconds() * 1000)

    @asynccontextmanager
    async def claim(self, entry: OutboxEntry) -> AsyncIterator[OutboxClaim]:
        """Yield the claim of this email; commits 'sent' only if the block calls mark_sent()."""
        # One connection for the whole claim: every pool checkout costs a reset round trip.
        async with self._pool.acquire() as conn:
            # Committed on its own (autocommit) before the lock is taken: a row in 'sending'
            # stays visible while the send fails, for the retries and for ops.
            # The reply address's row in the same statement: one round trip for both.
            reply = entry.reply_to
            if reply is not None and reply.case_id != entry.case_id:
                raise OutboxConflict("the reply address is another case's")
            await conn.execute(
                """
                WITH reply AS (
                    INSERT INTO reply_addresses (case_key, case_id, merchant_id)
                    SELECT $7::text, $1, $8::text WHERE $7::text IS NOT NULL
                    ON CONFLICT (case_key) DO NOTHING
                )
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
                None if reply is None else reply.case_key,
                None if reply is None else reply.merchant_id,
            )
            # Begun and ended by hand, not with conn.transaction(): mark_sent() commits mid-block,
            # the moment it is known, in the same round trip as 'sent'.
            await conn.execute("BEGIN")
            claim: OutboxClaim | None = None
            try:
                claim = await self._locked(conn, entry)
                yield claim
            finally:
                if claim is None or not claim.committed:
                    await conn.execute("ROLLBACK")

    async def _locked(self, conn: asyncpg.Connection, entry: OutboxEntry) -> OutboxClaim:
        # Waiting for a hung sender must end in a retryable error, not a stuck worker slot.
        # The CTE sets it for this transaction before the row lock is asked for (a CTE that
        # is referenced runs first), in the same round trip as the lock.
        row = await conn.fetchrow(
            """
            WITH timeout AS (SELECT set_config('lock_timeout', $4, true) AS value)
            SELECT message_id, status, sent_at, ctid, now() AS now FROM email_outbox
             WHERE case_id = $1 AND round = $2 AND kind = $3
               AND (SELECT value FROM timeout) IS NOT NULL
               FOR UPDATE
            """,
            entry.case_id,
            entry.round,
            entry.kind,
            f"{self._lock_timeout_ms}ms",
        )
        if row is None or row["message_id"] != entry.message_id:
            raise OutboxConflict(
                f"outbox key ({entry.case_id}, {entry.round}, {entry.kind}) does not hold "
                f"message {entry.message_id}"
            )
        sent_at = row["sent_at"] if row["status"] == "sent" else None
        return OutboxClaim(conn, entry, sent_at, row["ctid"], row["now"])

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


async def erase_case_emails(
    pool: asyncpg.Pool | asyncpg.Connection, case_id: str, marker: str
) -> int:
    """Erasure (issue 20): the case's rows keep their keys, kinds, Message-IDs and times (what
    was sent when) and lose their recipients and subjects. Returns how many rows changed."""
    status = await pool.execute(
        "UPDATE email_outbox SET recipient = $2, subject = $2 "
        "WHERE case_id = $1 AND (recipient <> $2 OR subject <> $2)",
        case_id,
        marker,
    )
    return int(status.split()[-1])
