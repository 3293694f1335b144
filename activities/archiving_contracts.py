"""The archiving activities as the archiving workflow sees them: names and typed data, no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

FIND_UNARCHIVED_RUNS = "find_unarchived_runs"
ARCHIVE_RUNS = "archive_runs"
ADVANCE_ARCHIVE_CHECKPOINT = "advance_archive_checkpoint"
PURGE_ARCHIVE = "purge_archive"


class RunRef(BaseModel):
    """A closed run of a case as visibility lists it: identifiers only, no history."""

    workflow_id: str
    run_id: str
    close_time: datetime
    start_time: datetime | None = None
    workflow_status: str
    merchant_id: str | None = None
    round: int | None = None
    final_status: str | None = None
    requested_at: datetime | None = None


class FindUnarchivedInput(BaseModel):
    batch_size: int = Field(ge=1, le=1000)
    # Visibility shows a closed run a moment after it closed: the checkpoint stays this far
    # behind the scan, so a run that appears late is still found by the next scan.
    settle_seconds: int = Field(default=60, ge=0)


class UnarchivedBatch(BaseModel):
    runs: list[RunRef]
    more: bool
    checkpoint_to: datetime | None = Field(
        description="Every run closed before this instant is archived once `runs` are"
    )


class ArchiveRunsInput(BaseModel):
    runs: list[RunRef]


class ArchiveRunsResult(BaseModel):
    written: int
    already_archived: int
    gone: list[str] = Field(
        default_factory=list, description="Runs whose history Temporal no longer had"
    )


class AdvanceCheckpointInput(BaseModel):
    close_time: datetime


class PurgeArchiveInput(BaseModel):
    pass


class PurgeArchiveResult(BaseModel):
    deleted: int
