"""ArchivingWorkflow: copy closed case runs into the archive, started by a Temporal Schedule.

Batch by batch: find the oldest closed runs the archive lacks, copy them (histories go
straight from Temporal to PostgreSQL inside the activity), then move the checkpoint. A long
backlog continues as new after max_batches, so this workflow's own history stays small.
No workflow is held open per case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

from workflows.scheduled_jobs import SCHEDULED_JOB_RETRY

with workflow.unsafe.imports_passed_through():
    from activities import archiving_contracts as act

ARCHIVE_SCHEDULE_ID = "cancelflow-case-archive"


class ArchivingInput(BaseModel):
    batch_size: int = Field(default=100, ge=1, le=1000)
    max_batches: int = Field(default=20, ge=1)
    settle_seconds: int = Field(default=60, ge=0)
    # Carried across continue-as-new so the result counts the whole job.
    written_before: int = 0


class ArchivingResult(BaseModel):
    written: int
    already_archived: int
    gone: list[str]
    checkpoint: datetime | None
    purged: int


@workflow.defn
class ArchivingWorkflow:
    @workflow.run
    async def run(self, input: ArchivingInput) -> ArchivingResult:
        written = already = 0
        gone: list[str] = []
        checkpoint: datetime | None = None
        for _ in range(input.max_batches):
            batch = await workflow.execute_activity(
                act.FIND_UNARCHIVED_RUNS,
                act.FindUnarchivedInput(
                    batch_size=input.batch_size, settle_seconds=input.settle_seconds
                ),
                result_type=act.UnarchivedBatch,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=SCHEDULED_JOB_RETRY,
                summary="Find closed runs not yet archived",
            )
            if batch.runs:
                copied = await workflow.execute_activity(
                    act.ARCHIVE_RUNS,
                    act.ArchiveRunsInput(runs=batch.runs),
                    result_type=act.ArchiveRunsResult,
                    start_to_close_timeout=timedelta(minutes=10),
                    heartbeat_timeout=timedelta(minutes=1),
                    retry_policy=SCHEDULED_JOB_RETRY,
                    summary=f"Archive {len(batch.runs)} runs",
                )
                written += copied.written
                already += copied.already_archived
                gone += copied.gone
            if batch.checkpoint_to is not None:
                checkpoint = await workflow.execute_activity(
                    act.ADVANCE_ARCHIVE_CHECKPOINT,
                    act.AdvanceCheckpointInput(close_time=batch.checkpoint_to),
                    result_type=datetime,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=SCHEDULED_JOB_RETRY,
                    summary="Move the archive checkpoint",
                )
            if not batch.more:
                break
        else:
            workflow.continue_as_new(
                input.model_copy(update={"written_before": input.written_before + written})
            )
        purged = await workflow.execute_activity(
            act.PURGE_ARCHIVE,
            act.PurgeArchiveInput(),
            result_type=act.PurgeArchiveResult,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=SCHEDULED_JOB_RETRY,
            summary="Delete archived runs past the archive's retention",
        )
        return ArchivingResult(
            written=input.written_before + written,
            already_archived=already,
            gone=gone,
            checkpoint=checkpoint,
            purged=purged.deleted,
        )
