"""The merchants' lists of open cases, served from PostgreSQL (migration 0015).

A read model of the case workflows' search attributes: workers/case_list_sync.py writes it
from Temporal visibility, the portal reads it. A row exists while its case is open; it holds
no customer data. Its writes run under one advisory lock, so two workers never sync at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.case_listing import CaseListing

# Any constant both sides agree on: the sync's transaction-scoped advisory lock.
_SYNC_LOCK = 0x0CA5E115

_COLUMNS = "case_id, workflow_id, merchant_id, status, round, escalated, requested_at, started_at"


@dataclass(frozen=True)
class SyncPosition:
    read_to: datetime
    """Every change visible before this instant is in the list."""
    full_at: datetime
    """When the list was last compared with every running case."""


class CaseList:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def open_cases(
        self,
        merchant_id: str,
        statuses: Collection[str],
        *,
        requested_by: datetime | None = None,
        started_before: datetime | None = None,
        limit: int | None = None,
    ) -> list[CaseListing]:
        """The merchant's open cases in these statuses, newest first (as visibility lists)."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS}, changed_at FROM case_list "
            "WHERE merchant_id = $1 AND status = ANY($2::text[]) "
            "AND ($3::timestamptz IS NULL OR requested_at <= $3) "
            "AND ($4::timestamptz IS NULL OR started_at < $4) "
            "ORDER BY started_at DESC, case_id DESC LIMIT $5",
            merchant_id,
            list(statuses),
            requested_by,
            started_before,
            limit,
        )
        return [_listing(row) for row in rows]

    @asynccontextmanager
    async def syncing(self) -> AsyncIterator[CaseListSync | None]:
        """One sync's transaction, or None when another process holds the sync."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _SYNC_LOCK):
                yield None
                return
            yield CaseListSync(conn)


class CaseListSync:
    """The writes of one sync, inside its transaction and lock."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def position(self) -> SyncPosition | None:
        row = await self._conn.fetchrow("SELECT read_to, full_at FROM case_list_sync")
        return None if row is None else SyncPosition(row["read_to"], row["full_at"])

    async def advance(self, position: SyncPosition) -> None:
        await self._conn.execute(
            "INSERT INTO case_list_sync (read_to, full_at) VALUES ($1, $2) "
            "ON CONFLICT (id) DO UPDATE SET read_to = excluded.read_to, full_at = excluded.full_at",
            position.read_to,
            position.full_at,
        )

    async def put(self, cases: Sequence[CaseListing]) -> None:
        """Write these open cases as visibility showed them; a case of a merchant this
        directory does not hold is left out (it could not be listed)."""
        if not cases:
            return
        await self._conn.execute(
            f"INSERT INTO case_list ({_COLUMNS}, changed_at) "
            f"SELECT {_COLUMNS}, changed_at FROM unnest($1::text[], $2::text[], $3::text[], "
            "$4::text[], $5::int[], $6::bool[], $7::timestamptz[], $8::timestamptz[], "
            f"$9::timestamptz[]) AS c({_COLUMNS}, changed_at) "
            "WHERE EXISTS (SELECT 1 FROM merchants m WHERE m.merchant_id = c.merchant_id) "
            "ON CONFLICT (case_id) DO UPDATE SET workflow_id = excluded.workflow_id, "
            "status = excluded.status, round = excluded.round, escalated = excluded.escalated, "
            "requested_at = excluded.requested_at, started_at = excluded.started_at, "
            "changed_at = excluded.changed_at "
            # Ticks overlap, so most rows come again unchanged: no write for those.
            "WHERE (case_list.status, case_list.round, case_list.escalated, "
            "case_list.started_at, case_list.changed_at) IS DISTINCT FROM (excluded.status, "
            "excluded.round, excluded.escalated, excluded.started_at, excluded.changed_at)",
            [c.case_id for c in cases],
            [c.workflow_id for c in cases],
            [c.merchant_id for c in cases],
            [c.status for c in cases],
            [c.round or 1 for c in cases],
            [c.escalated for c in cases],
            [c.requested_at or c.started_at for c in cases],
            [c.started_at for c in cases],
            [c.changed_at for c in cases],
        )

    async def remove(self, case_ids: Collection[str]) -> None:
        if case_ids:
            await self._conn.execute(
                "DELETE FROM case_list WHERE case_id = ANY($1::text[])", list(case_ids)
            )

    async def keep_only(self, case_ids: Collection[str]) -> int:
        """Remove every case not among these (the running ones); how many were removed."""
        status = await self._conn.execute(
            "DELETE FROM case_list WHERE NOT (case_id = ANY($1::text[]))", list(case_ids)
        )
        return int(status.split()[-1])


async def erase_case_listing(conn: asyncpg.Connection, case_id: str) -> None:
    await conn.execute("DELETE FROM case_list WHERE case_id = $1", case_id)


def _listing(row: asyncpg.Record) -> CaseListing:
    return CaseListing(
        case_id=row["case_id"],
        workflow_id=row["workflow_id"],
        status=row["status"],
        merchant_id=row["merchant_id"],
        round=row["round"],
        escalated=row["escalated"],
        outcome=None,
        requested_at=row["requested_at"],
        started_at=row["started_at"],
        workflow_status="RUNNING",
        changed_at=row["changed_at"],
    )
