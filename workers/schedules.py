"""Temporal Schedules the worker makes sure exist when it starts (idempotent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from storage.config import ArchiveSettings, ErasureSettings
from workers.settings import DigestSettings as DigestSettings
from workflows.archiving import ARCHIVE_SCHEDULE_ID, ArchivingInput, ArchivingWorkflow
from workflows.ops_digest import DIGEST_SCHEDULE_ID, OpsDigestInput, OpsDigestWorkflow
from workflows.retention import RETENTION_SCHEDULE_ID, RetentionInput, RetentionWorkflow

log = structlog.get_logger("cancelflow.schedules")

_Input = TypeVar("_Input", ArchivingInput, RetentionInput)


def digest_schedule(
    task_queue: str,
    settings: DigestSettings | None = None,
    workflow_id: str = DIGEST_SCHEDULE_ID,
) -> Schedule:
    settings = settings or DigestSettings()
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OpsDigestWorkflow.run,
            OpsDigestInput(),
            id=workflow_id,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(settings.hour)], minute=[ScheduleRange(settings.minute)]
                )
            ],
            time_zone_name=settings.time_zone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def _digest_differs(current: Schedule, task_queue: str, settings: DigestSettings) -> bool:
    action, spec = current.action, current.spec
    if not isinstance(action, ScheduleActionStartWorkflow) or action.task_queue != task_queue:
        return True
    if spec.time_zone_name != settings.time_zone or len(spec.calendars) != 1:
        return True
    calendar = spec.calendars[0]
    return _values(calendar.hour) != [settings.hour] or _values(calendar.minute) != [
        settings.minute
    ]


def _values(ranges: Sequence[ScheduleRange]) -> list[int]:
    """The server fills in end and step: compare what the ranges cover."""
    return [v for r in ranges for v in range(r.start, max(r.end, r.start) + 1, r.step or 1)]


async def ensure_digest_schedule(
    client: Client,
    task_queue: str,
    settings: DigestSettings | None = None,
    schedule_id: str = DIGEST_SCHEDULE_ID,
) -> bool:
    """Create the daily digest schedule, or bring it up to its settings (time, zone, task
    queue); True when this call created it. Only a schedule that differs is written, so
    many workers starting at once do not rewrite it each time."""
    settings = settings or DigestSettings()
    return await _ensure(
        client,
        schedule_id,
        digest_schedule(task_queue, settings, workflow_id=schedule_id),
        differs=lambda current: _digest_differs(current, task_queue, settings),
        task_queue=task_queue,
        hour=settings.hour,
        minute=settings.minute,
        time_zone=settings.time_zone,
    )


def _every(
    minutes: int,
    task_queue: str,
    workflow_id: str,
    run: Callable[[Any, _Input], Awaitable[Any]],
    arg: _Input,
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(run, arg, id=workflow_id, task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=minutes))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def _ensure(
    client: Client,
    schedule_id: str,
    wanted: Schedule,
    *,
    differs: Callable[[Schedule], bool] | None = None,
    **fields: Any,
) -> bool:
    """Create the schedule, or bring an existing one up to `wanted`; True when this call
    created it. With `differs`, an existing schedule is read first and written (and the
    update logged) only when it differs; without, it is written at each start, unlogged,
    since an interval spec comes back from the server filled in and a write is cheap."""
    try:
        await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(schedule_id)
        if differs is not None and not differs((await handle.describe()).schedule):
            return False

        async def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await handle.update(replace)
        if differs is not None:
            log.info("schedule.updated", schedule_id=schedule_id, **fields)
        return False
    log.info("schedule.created", schedule_id=schedule_id, **fields)
    return True


async def ensure_archive_schedule(
    client: Client,
    task_queue: str,
    settings: ArchiveSettings,
    schedule_id: str = ARCHIVE_SCHEDULE_ID,
) -> bool:
    """Create the archiving schedule, or bring an existing one up to the current settings.

    True when this call created it. Many workers starting at once each write the same schedule.
    """
    arg = ArchivingInput(batch_size=settings.batch_size)
    schedule = _every(settings.every_minutes, task_queue, schedule_id, ArchivingWorkflow.run, arg)
    return await _ensure(client, schedule_id, schedule, every_minutes=settings.every_minutes)


async def ensure_retention_schedule(
    client: Client,
    task_queue: str,
    settings: ErasureSettings,
    schedule_id: str = RETENTION_SCHEDULE_ID,
) -> bool:
    """Create the schedule of automatic erasure of closed cases past
    CANCELFLOW_ERASURE__AFTER_DAYS (issue 20), or bring it up to the settings; True when
    created."""
    arg = RetentionInput(batch_size=settings.batch_size)
    schedule = _every(settings.every_minutes, task_queue, schedule_id, RetentionWorkflow.run, arg)
    return await _ensure(client, schedule_id, schedule, every_minutes=settings.every_minutes)
