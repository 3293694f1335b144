"""The case archive's words: a closed run as visibility lists it, and how far the archive lags.

Plain data shared by the Temporal side (cases/history_source.py lists the runs), the
PostgreSQL side (storage/archive*.py) and the archiving activities, none of which may import
the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The case workflow's id is this prefix and the case id; workflows/inputs.py takes it from
# here, as the domain cannot import workflows.
CASE_WORKFLOW_ID_PREFIX = "case-"


@dataclass(frozen=True)
class ClosedRun:
    """One closed run of a case: identifiers only, no history."""

    workflow_id: str
    run_id: str
    close_time: datetime
    start_time: datetime | None
    workflow_status: str
    merchant_id: str | None
    round: int | None
    final_status: str | None
    requested_at: datetime | None = None

    @property
    def case_id(self) -> str:
        return self.workflow_id.removeprefix(CASE_WORKFLOW_ID_PREFIX)


@dataclass(frozen=True)
class RunHistory:
    """A run's complete history as Temporal's protobuf bytes (payloads still encrypted)."""

    history: bytes
    event_count: int


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
