"""Keeps the merchants' lists of open cases (storage/case_list.py) in step with Temporal.

Every worker runs it beside its Worker; an advisory lock lets one sync at a time. Each tick
reads from visibility only the cases that changed since the last (CaseChangedAt, or closed),
so a merchant's page is an indexed PostgreSQL read however busy the cluster is, and a list
lags the cases by about one tick. Every full_every_minutes it compares the list with every
running case, which also repairs what an incremental read cannot see: a case whose closed
workflow left visibility before a tick read it, or one started before CaseChangedAt existed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
import structlog
from temporalio.client import Client

from cases.client import CaseListing, list_cases
from cases.queries import changed_since
from domain.case import OPEN_STATUSES
from storage.case_list import CaseList, CaseListSync, SyncPosition
from storage.config import CaseListSettings

# Each read goes back this far before the last one: it covers clock skew between this host and
# the Temporal server (CaseChangedAt is the server's workflow time) and visibility's lag.
OVERLAP = timedelta(seconds=10)

log = structlog.get_logger("cancelflow.case_list")


SyncTick = Literal["full", "changes", "busy"]


async def sync_once(client: Client, case_list: CaseList, settings: CaseListSettings) -> SyncTick:
    """One tick: 'full', 'changes', or 'busy' when another process holds the sync."""
    started = datetime.now(UTC)
    async with case_list.syncing() as sync:
        if sync is None:
            return "busy"
        position = await sync.position()
        if position is None or started - position.full_at >= settings.full_every:
            await _full(client, sync)
            await sync.advance(SyncPosition(read_to=started, full_at=started))
            return "full"
        await _changes(client, sync, since=position.read_to - OVERLAP)
        await sync.advance(SyncPosition(read_to=started, full_at=position.full_at))
        return "changes"


async def _full(client: Client, sync: CaseListSync) -> None:
    running = [c async for c in list_cases(client, running_only=True)]
    await sync.put([c for c in running if c.status in OPEN_STATUSES])
    removed = await sync.keep_only([c.case_id for c in running if c.status in OPEN_STATUSES])
    log.info("case_list.full_sync", running=len(running), removed=removed)


async def _changes(client: Client, sync: CaseListSync, since: datetime) -> None:
    latest: dict[str, CaseListing] = {}
    async for case in list_cases(client, extra=changed_since(since)):
        if case.workflow_status == "CONTINUED_AS_NEW":
            continue  # the case lives on in its next run, which says where it stands
        if case.case_id not in latest or case.workflow_status == "RUNNING":
            latest[case.case_id] = case
    listed = [c for c in latest.values() if _is_open(c)]
    await sync.put(listed)
    await sync.remove([c.case_id for c in latest.values() if not _is_open(c)])


def _is_open(case: CaseListing) -> bool:
    return case.workflow_status == "RUNNING" and case.status in OPEN_STATUSES


@asynccontextmanager
async def syncing_case_list(
    client: Client, pool: asyncpg.Pool, settings: CaseListSettings
) -> AsyncIterator[None]:
    """Sync every settings.every while the block runs; a failed tick is logged and retried."""

    async def loop() -> None:
        case_list = CaseList(pool)
        while True:
            try:
                await sync_once(client, case_list, settings)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Temporal or PostgreSQL away: the list keeps what it had, the next tick catches up.
                log.warning("case_list.sync_failed", exc_info=True)
            await asyncio.sleep(settings.every_seconds)

    task = asyncio.create_task(loop(), name="case-list-sync")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
