"""What the archive lacks: closed runs listed in Temporal that have no row in the archive yet.

Kept apart from the activities so that `archive status`, the digest and metrics compute the
lag the same way the archiving job finds its work. The listing itself is Temporal I/O and
lives with the client (cases/history_source.py, TemporalArchiveSource); it is handed in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Protocol

from domain.archive import ArchiveLag, ClosedRun
from storage.archive import ArchiveStore

__all__ = ["ArchiveLag", "ClosedRun", "ClosedRunSource", "archive_lag", "unarchived_runs"]


class ClosedRunSource(Protocol):
    def closed_runs(
        self, since: datetime | None, before: datetime | None = None
    ) -> AsyncIterator[ClosedRun]: ...


async def unarchived_runs(
    source: ClosedRunSource,
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
    source: ClosedRunSource, store: ArchiveStore, now: datetime | None = None
) -> ArchiveLag:
    """The archive's lag as `archive status`, the digest and metrics report it."""
    measured_at = now or datetime.now(UTC)
    missing = await unarchived_runs(source, store)
    return ArchiveLag(
        measured_at=measured_at,
        unarchived_runs=len(missing),
        oldest_unarchived_close_time=missing[0].close_time if missing else None,
    )
