"""The case archive in PostgreSQL: closed runs' histories, kept after Temporal deletes them.

A row holds one run's history as Temporal's own protobuf bytes (`temporal.api.history.v1.History`),
payloads still encrypted as they were on the cluster, plus the columns to find it. Nothing is
decoded on the way in, so the archive holds what the history holds and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory

from domain.archive import ClosedRun, RunHistory
from domain.reply_token import case_reference
from storage.archive_chain import chain_runs
from storage.config import ArchiveSettings as ArchiveSettings  # read with the store
from storage.erasures import ErasureStore

CHECKPOINT = "cases"


@dataclass(frozen=True)
class ArchivedRun:
    """One closed run of a case, as written to the archive."""

    workflow_id: str
    run_id: str
    case_id: str
    merchant_id: str | None
    round: int | None
    final_status: str | None
    workflow_status: str
    start_time: datetime | None
    close_time: datetime
    history: bytes
    event_count: int
    requested_at: datetime | None = None

    @classmethod
    def of(cls, run: ClosedRun, history: RunHistory) -> ArchivedRun:
        return cls(
            workflow_id=run.workflow_id,
            run_id=run.run_id,
            case_id=run.case_id,
            merchant_id=run.merchant_id,
            round=run.round,
            final_status=run.final_status,
            workflow_status=run.workflow_status,
            start_time=run.start_time,
            close_time=run.close_time,
            history=history.history,
            event_count=history.event_count,
            requested_at=run.requested_at,
        )

    def workflow_history(self) -> WorkflowHistory:
        return WorkflowHistory(self.workflow_id, list(History.FromString(self.history).events))


@dataclass(frozen=True)
class ArchiveCounts:
    runs: int
    cases: int
    oldest_close_time: datetime | None
    newest_close_time: datetime | None
    checkpoint: datetime | None


_COLUMNS = (
    "workflow_id, run_id, case_id, merchant_id, round, final_status, workflow_status, "
    "start_time, close_time, history, event_count, requested_at"
)


@dataclass(frozen=True)
class ArchivedCaseSummary:
    """A closed case in a merchant's list: its last run's identifiers, no history."""

    case_id: str
    final_status: str
    requested_at: datetime


class ArchiveStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def erasures(self) -> ErasureStore:
        """The erased cases' records, kept beside the archive they describe."""
        return ErasureStore(self._pool)

    async def write(self, run: ArchivedRun) -> bool:
        """Archive one run; False when it was archived already (the first copy stays). The
        run is linked into the archive's hash chain in the same transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await self._insert(conn, run)
            await chain_runs(conn)
        return inserted

    async def _insert(self, conn: asyncpg.Connection, run: ArchivedRun) -> bool:
        status = await conn.execute(
            f"INSERT INTO case_archive ({_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
            "ON CONFLICT (workflow_id, run_id) DO NOTHING",
            run.workflow_id,
            run.run_id,
            run.case_id,
            run.merchant_id,
            run.round,
            run.final_status,
            run.workflow_status,
            run.start_time,
            run.close_time,
            run.history,
            run.event_count,
            run.requested_at,
        )
        return bool(status.endswith(" 1"))

    async def archived(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (workflow_id, run_id) pairs are in the archive."""
        pairs = list(keys)
        if not pairs:
            return set()
        rows = await self._pool.fetch(
            "SELECT workflow_id, run_id FROM case_archive "
            "WHERE (workflow_id, run_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p[0] for p in pairs],
            [p[1] for p in pairs],
        )
        return {(r["workflow_id"], r["run_id"]) for r in rows}

    async def runs_of_case(self, case_id: str) -> list[ArchivedRun]:
        """Every archived run of the case, oldest first (rounds and continue-as-new in order)."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM case_archive WHERE case_id = $1 "
            "ORDER BY close_time, start_time",
            case_id,
        )
        return _in_run_order([_run(r) for r in rows])

    async def histories_of_case(self, case_id: str) -> list[tuple[str, WorkflowHistory]]:
        """(run id, history) of every archived run of the case, oldest first."""
        return [(r.run_id, r.workflow_history()) for r in await self.runs_of_case(case_id)]

    async def cases_with_reference(self, reference: str) -> list[str]:
        """The archived cases whose CF- reference this is (usually one, or none).

        The reference is a hash of the case id, so it is recomputed for each archived case:
        ops look up one case at a time, and a scan of the distinct ids is enough for that.
        """
        rows = await self._pool.fetch("SELECT DISTINCT case_id FROM case_archive")
        return [r["case_id"] for r in rows if case_reference(r["case_id"]) == reference]

    async def merchant_of_case(self, case_id: str) -> str | None:
        """The merchant of an archived case, or None: one indexed lookup whether or not the
        case is archived, so the portal's ownership check costs the same for both."""
        merchant_id: str | None = await self._pool.fetchval(
            "SELECT merchant_id FROM case_archive WHERE case_id = $1 "
            "ORDER BY close_time DESC LIMIT 1",
            case_id,
        )
        return merchant_id

    async def closed_cases_of_merchant(
        self, merchant_id: str, final_statuses: Iterable[str], limit: int
    ) -> list[ArchivedCaseSummary]:
        """The merchant's archived cases whose last run ended in one of final_statuses,
        newest request first. A run archived before RequestedAt was kept falls back to its
        case's first start."""
        rows = await self._pool.fetch(
            "SELECT case_id, final_status, requested_at FROM ("
            "  SELECT DISTINCT ON (case_id) case_id, final_status, COALESCE(requested_at,"
            "    min(start_time) OVER (PARTITION BY case_id)) AS requested_at"
            "  FROM case_archive WHERE merchant_id = $1"
            "  ORDER BY case_id, close_time DESC"
            ") last_runs "
            "WHERE final_status = ANY($2::text[]) AND requested_at IS NOT NULL "
            "ORDER BY requested_at DESC LIMIT $3",
            merchant_id,
            [str(s) for s in final_statuses],
            limit,
        )
        return [ArchivedCaseSummary(**dict(r)) for r in rows]

    async def runs_closed_since(self, since: datetime) -> list[ArchivedRun]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM case_archive WHERE close_time >= $1 "
            "ORDER BY case_id, close_time",
            since,
        )
        return [_run(r) for r in rows]

    async def checkpoint(self) -> datetime | None:
        value: datetime | None = await self._pool.fetchval(
            "SELECT close_time FROM case_archive_checkpoint WHERE name = $1", CHECKPOINT
        )
        return value

    async def advance_checkpoint(self, close_time: datetime) -> datetime:
        """Move the checkpoint forward (never back: a late retry cannot undo progress)."""
        value: datetime = await self._pool.fetchval(
            "INSERT INTO case_archive_checkpoint (name, close_time) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET "
            "close_time = GREATEST(case_archive_checkpoint.close_time, EXCLUDED.close_time), "
            "updated_at = now() RETURNING close_time",
            CHECKPOINT,
            close_time,
        )
        return value

    async def counts(self) -> ArchiveCounts:
        row = await self._pool.fetchrow(
            "SELECT count(*) AS runs, count(DISTINCT case_id) AS cases, "
            "min(close_time) AS oldest, max(close_time) AS newest FROM case_archive"
        )
        assert row is not None
        return ArchiveCounts(
            runs=row["runs"],
            cases=row["cases"],
            oldest_close_time=row["oldest"],
            newest_close_time=row["newest"],
            checkpoint=await self.checkpoint(),
        )

    async def purge(self, retention: timedelta) -> int:
        """Delete runs closed longer ago than the archive's retention; returns how many. Their
        links stay in the chain, marked purged, so the chain still verifies."""
        purged: int = await self._pool.fetchval(
            "WITH gone AS (DELETE FROM case_archive WHERE close_time < now() - $1::interval "
            "RETURNING workflow_id, run_id), "
            "marked AS (UPDATE archive_chain c SET purged_at = now() FROM gone "
            "WHERE c.workflow_id = gone.workflow_id AND c.run_id = gone.run_id RETURNING 1) "
            "SELECT count(*) FROM gone",
            retention,
        )
        return purged


def _run(row: asyncpg.Record) -> ArchivedRun:
    return ArchivedRun(**{key: row[key] for key in row.keys()})


def _in_run_order(runs: Sequence[ArchivedRun]) -> list[ArchivedRun]:
    """Order by the continue-as-new chain (each run names the one it continues), not clocks."""
    by_id = {r.run_id: r for r in runs}
    previous: dict[str, str] = {}
    for run in runs:
        events = History.FromString(run.history).events
        if events:
            attrs = events[0].workflow_execution_started_event_attributes
            if attrs.continued_execution_run_id in by_id:
                previous[run.run_id] = attrs.continued_execution_run_id
    followers = {v: k for k, v in previous.items()}
    firsts = [r for r in runs if r.run_id not in previous]
    ordered: list[ArchivedRun] = []
    for first in firsts:
        current: str | None = first.run_id
        while current is not None and current in by_id:
            ordered.append(by_id[current])
            current = followers.get(current)
    return ordered


def retention_of(settings: ArchiveSettings) -> timedelta:
    # Leap days included: a record is kept at least the promised number of years.
    return timedelta(days=366 * settings.retention_years)
