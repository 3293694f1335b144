"""The archiving activities: copy closed case runs from Temporal into the PostgreSQL archive.

Histories travel from Temporal to PostgreSQL inside one activity and never through the
archiving workflow's own history, which only sees identifiers and counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from activities import archiving_contracts as contracts
from domain.archive import ClosedRun, RunHistory
from storage.archive import ArchivedRun, ArchiveSettings, ArchiveStore, retention_of
from storage.archive_source import ClosedRunSource, unarchived_runs

log = structlog.get_logger()


def _ref(run: ClosedRun) -> contracts.RunRef:
    return contracts.RunRef(
        workflow_id=run.workflow_id,
        run_id=run.run_id,
        close_time=run.close_time,
        start_time=run.start_time,
        workflow_status=run.workflow_status,
        merchant_id=run.merchant_id,
        round=run.round,
        final_status=run.final_status,
        requested_at=run.requested_at,
    )


def _closed_run(ref: contracts.RunRef) -> ClosedRun:
    return ClosedRun(**ref.model_dump())


class ArchiveSource(ClosedRunSource, Protocol):
    """Temporal's side (cases.client.TemporalArchiveSource, handed in by the wiring)."""

    async def history_of(self, run: ClosedRun) -> RunHistory: ...


class ArchivingActivities:
    def __init__(
        self, source: ArchiveSource, store: ArchiveStore, settings: ArchiveSettings
    ) -> None:
        self._source = source
        self._store = store
        self._settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.find_unarchived_runs,
            self.archive_runs,
            self.advance_archive_checkpoint,
            self.purge_archive,
        ]

    @activity.defn(name=contracts.FIND_UNARCHIVED_RUNS)
    async def find_unarchived_runs(
        self, input: contracts.FindUnarchivedInput
    ) -> contracts.UnarchivedBatch:
        """The oldest closed runs the archive lacks, at most batch_size of them."""
        before = datetime.now(UTC) - timedelta(seconds=input.settle_seconds)
        missing = await unarchived_runs(self._source, self._store, before, activity.heartbeat)
        batch = missing[: input.batch_size]
        more = len(missing) > len(batch)
        # With more to do, the checkpoint may only reach the newest run of this batch
        # (queries use CloseTime >= checkpoint, so runs closed at that instant are seen again).
        checkpoint_to = batch[-1].close_time if more else before
        return contracts.UnarchivedBatch(
            runs=[_ref(r) for r in batch], more=more, checkpoint_to=checkpoint_to
        )

    @activity.defn(name=contracts.ARCHIVE_RUNS)
    async def archive_runs(self, input: contracts.ArchiveRunsInput) -> contracts.ArchiveRunsResult:
        written = already = 0
        gone: list[str] = []
        for number, ref in enumerate(input.runs):
            try:
                closed = _closed_run(ref)
                run = ArchivedRun.of(closed, await self._source.history_of(closed))
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
                # Deleted before it was archived: nothing left to copy. Reported, not retried.
                gone.append(f"{ref.workflow_id}/{ref.run_id}")
                log.error("archive.history_gone", workflow_id=ref.workflow_id, run_id=ref.run_id)
                continue
            if await self._store.write(run):
                written += 1
            else:
                already += 1
            activity.heartbeat(number)
        log.info("archive.runs_written", written=written, already_archived=already)
        return contracts.ArchiveRunsResult(written=written, already_archived=already, gone=gone)

    @activity.defn(name=contracts.ADVANCE_ARCHIVE_CHECKPOINT)
    async def advance_archive_checkpoint(self, input: contracts.AdvanceCheckpointInput) -> datetime:
        return await self._store.advance_checkpoint(input.close_time)

    @activity.defn(name=contracts.PURGE_ARCHIVE)
    async def purge_archive(
        self, input: contracts.PurgeArchiveInput
    ) -> contracts.PurgeArchiveResult:
        deleted = await self._store.purge(retention_of(self._settings))
        if deleted:
            log.info("archive.purged", deleted=deleted, years=self._settings.retention_years)
        return contracts.PurgeArchiveResult(deleted=deleted)
