"""The record of each erased case: who, when, why, and what the case still shows.

`remains` is the case's timeline and last state as they read before the erasure, every
personal value replaced (domain/erasure.py); it holds no personal data, so it is kept as long
as the archive keeps the case. Its SHA-256 is stored beside it and checked on every read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from domain.erasure import ErasureTrigger
from storage.bulk_answers import erase_case_bulk_answers
from storage.case_keys import erase_case_key
from storage.case_list import erase_case_listing
from storage.config import ErasureSettings as ErasureSettings  # read with the store
from storage.inbound_mail import erase_case_replies
from storage.outbox import erase_case_emails


@dataclass(frozen=True)
class ErasureRecord:
    case_id: str
    erased_at: datetime
    erased_by: str
    reason: str
    trigger: ErasureTrigger
    withdrawn: bool
    remains: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """As the erasure log exported for restores holds it (no personal data)."""
        return {**asdict(self), "erased_at": self.erased_at.isoformat(), "trigger": self.trigger}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ErasureRecord:
        return cls(
            **{
                **data,
                "erased_at": datetime.fromisoformat(data["erased_at"]),
                "trigger": ErasureTrigger(data["trigger"]),
            }
        )


class RemainsAltered(RuntimeError):
    """The stored remains no longer match their hash."""


def remains_digest(remains: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps(remains, sort_keys=True).encode()).digest()


async def strike_case(conn: asyncpg.Connection, case_id: str, marker: str) -> None:
    """Every table's personal values of the case replaced by the marker, and its key destroyed
    (each idempotent): what an erasure does to our tables, and what re-applying it after a
    restore does again. Call it inside the transaction that records the erasure."""
    await erase_case_emails(conn, case_id, marker)
    await erase_case_replies(conn, case_id, marker)
    await erase_case_bulk_answers(conn, case_id, marker)
    await erase_case_key(conn, case_id)
    await erase_case_listing(conn, case_id)


class ErasureStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(
        self, record: ErasureRecord, conn: asyncpg.Connection | None = None
    ) -> tuple[ErasureRecord, bool]:
        """Write the record unless the case has one; (the record kept, whether it is new).
        With conn, inside its transaction (the erasure's other writes commit with it)."""
        status = await (conn or self._pool).execute(
            "INSERT INTO case_erasures (case_id, erased_at, erased_by, reason, trigger, "
            "withdrawn, remains, remains_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) "
            "ON CONFLICT (case_id) DO NOTHING",
            record.case_id,
            record.erased_at,
            record.erased_by,
            record.reason,
            record.trigger.value,
            record.withdrawn,
            json.dumps(record.remains),
            remains_digest(record.remains),
        )
        kept = await self.get(record.case_id, conn)
        assert kept is not None
        return kept, status.endswith(" 1")

    async def get(
        self, case_id: str, conn: asyncpg.Connection | None = None
    ) -> ErasureRecord | None:
        row = await (conn or self._pool).fetchrow(
            "SELECT case_id, erased_at, erased_by, reason, trigger, withdrawn, remains, "
            "remains_sha256 FROM case_erasures WHERE case_id = $1",
            case_id,
        )
        if row is None:
            return None
        remains = json.loads(row["remains"])
        if remains_digest(remains) != bytes(row["remains_sha256"]):
            raise RemainsAltered(f"case '{case_id}': the erased case's record was altered")
        return ErasureRecord(
            case_id=row["case_id"],
            erased_at=row["erased_at"],
            erased_by=row["erased_by"],
            reason=row["reason"],
            trigger=ErasureTrigger(row["trigger"]),
            withdrawn=row["withdrawn"],
            remains=remains,
        )

    async def since(self, after: datetime | None = None) -> list[ErasureRecord]:
        """Every erasure (after `after`), oldest first: the log to keep apart from backups."""
        rows = await self._pool.fetch(
            "SELECT case_id FROM case_erasures WHERE $1::timestamptz IS NULL OR erased_at > $1 "
            "ORDER BY erased_at, case_id",
            after,
        )
        found = [await self.get(r["case_id"]) for r in rows]
        return [r for r in found if r is not None]

    async def erased_among(self, case_ids: set[str]) -> set[str]:
        """Which of these cases are erased."""
        rows = await self._pool.fetch(
            "SELECT case_id FROM case_erasures WHERE case_id = ANY($1::text[])", list(case_ids)
        )
        return {r["case_id"] for r in rows}

    async def due(self, after: timedelta, limit: int) -> list[str]:
        """Closed cases that closed more than `after` ago and are not erased yet, oldest
        first: their last archived run ended the case (it did not continue as new)."""
        rows = await self._pool.fetch(
            "SELECT case_id FROM ("
            "  SELECT DISTINCT ON (case_id) case_id, close_time, workflow_status"
            "  FROM case_archive ORDER BY case_id, close_time DESC"
            ") last_runs WHERE close_time < now() - $1::interval "
            "AND workflow_status <> 'CONTINUED_AS_NEW' "
            "AND NOT EXISTS (SELECT 1 FROM case_erasures e WHERE e.case_id = last_runs.case_id) "
            "ORDER BY close_time LIMIT $2",
            after,
            limit,
        )
        return [r["case_id"] for r in rows]
