"""Where the archive copies from: closed case runs in Temporal visibility, and their histories.

Kept apart from the activities so that `archive status`, the digest and metrics compute the
lag the same way the archiving job finds its work. Histories are copied as Temporal's protobuf
bytes: their payloads are never decoded here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowExecution
from temporalio.common import SearchAttributeKey

from storage.archive import ArchivedRun, ArchiveStore

CASE_WORKFLOW_TYPE = "CancellationWorkflow"
WORKFLOW_ID_PREFIX = "case-"
# The case search attributes (workflows/search_attributes.py); named here to keep storage
# free of workflow imports.
_MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
_CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
_CASE_ROUND = SearchAttributeKey.for_int("CaseRound")


@dataclass(frozen=True)
class ClosedRun:
    workflow_id: str
    run_id: str
    close_time: datetime
    start_time: datetime | None
    workflow_status: str
    merchant_id: str | None
    round: int | None
    final_status: str | None

    @property
    def case_id(self) -> str:
        return self.workflow_id.removeprefix(WORKFLOW_ID_PREFIX)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def closed_runs_query(since: datetime | None, before: datetime | None = None) -> str:
    clauses = [f"WorkflowType = '{CASE_WORKFLOW_TYPE}'", "ExecutionStatus != 'Running'"]
    if since is not None:
        clauses.append(f"CloseTime >= '{_rfc3339(since)}'")
    if before is not None:
        clauses.append(f"CloseTime < '{_rfc3339(before)}'")
    return " AND ".join(clauses)


def _closed_run(execution: WorkflowExecution) -> ClosedRun | None:
    if execution.close_time is None or execution.status is None:
        return None
    attrs = execution.typed_search_attributes
    return ClosedRun(
        workflow_id=execution.id,
        run_id=execution.run_id,
        close_time=execution.close_time,
        start_time=execution.start_time,
        workflow_status=execution.status.name,
        merchant_id=attrs.get(_MERCHANT_ID),
        round=attrs.get(_CASE_ROUND),
        final_status=attrs.get(_CASE_STATUS),
    )


class TemporalArchiveSource:
    def __init__(self, client: Client, page_size: int = 500) -> None:
        self._client = client
        self._page_size = page_size

    async def closed_runs(
        self, since: datetime | None, before: datetime | None = None
    ) -> AsyncIterator[ClosedRun]:
        query = closed_runs_query(since, before)
        async for execution in self._client.list_workflows(query, page_size=self._page_size):
            run = _closed_run(execution)
            if run is not None:
                yield run

    async def history_of(self, run: ClosedRun) -> ArchivedRun:
        """The run's complete history, fetched in pages, as the archive stores it."""
        handle = self._client.get_workflow_handle(run.workflow_id, run_id=run.run_id)
        # Paged at the server's default size (a bigger page only makes the server warn).
        events = [e async for e in handle.fetch_history_events()]
        raw = History(events=events).SerializeToString()
        return ArchivedRun(
            workflow_id=run.workflow_id,
            run_id=run.run_id,
            case_id=run.case_id,
            merchant_id=run.merchant_id,
            round=run.round,
            final_status=run.final_status,
            workflow_status=run.workflow_status,
            start_time=run.start_time,
            close_time=run.close_time,
            history=raw,
            event_count=len(events),
        )


@dataclass(frozen=True)
class ArchiveLag:
    """How far the archive is behind Temporal: its oldest closed run not yet archived."""

    measured_at: datetime
    unarchived_runs: int
    oldest_unarchived_close_time: datetime | None

    @property
    def lag(self) -> timedelta:
        if self.oldest_unarchived_close_time is None:
            return timedelta(0)
        return max(timedelta(0), self.measured_at - self.oldest_unarchived_close_time)


async def unarchived_runs(
    source: TemporalArchiveSource,
    store: ArchiveStore,
    before: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[ClosedRun]:
    """Closed runs since the checkpoint that the archive lacks, oldest close first."""
    since = await store.checkpoint()
    seen: list[ClosedRun] = []
    missing: list[ClosedRun] = []

    async def check() -> None:
        done = await store.archived((r.workflow_id, r.run_id) for r in seen)
        missing.extend(r for r in seen if (r.workflow_id, r.run_id) not in done)
        seen.clear()
        if progress is not None:
            progress(len(missing))

    async for run in source.closed_runs(since, before):
        seen.append(run)
        if len(seen) >= 500:
            await check()
    await check()
    return sorted(missing, key=lambda r: (r.close_time, r.workflow_id, r.run_id))


async def archive_lag(
    source: TemporalArchiveSource, store: ArchiveStore, now: datetime | None = None
) -> ArchiveLag:
    """The archive's lag as `archive status`, the digest and metrics report it."""
    measured_at = now or datetime.now(UTC)
    missing = await unarchived_runs(source, store)
    return ArchiveLag(
        measured_at=measured_at,
        unarchived_runs=len(missing),
        oldest_unarchived_close_time=missing[0].close_time if missing else None,
    )
