"""Temporal Schedules the worker makes sure exist when it starts (idempotent)."""

from __future__ import annotations

from datetime import timedelta

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

from storage.archive import ArchiveSettings
from workflows.archiving import ARCHIVE_SCHEDULE_ID, ArchivingInput, ArchivingWorkflow
from workflows.ops_digest import DIGEST_SCHEDULE_ID, OpsDigestInput, OpsDigestWorkflow

log = structlog.get_logger("cancelflow.schedules")


def digest_schedule(
    task_queue: str,
    hour: int = 7,
    time_zone: str = "Europe/Stockholm",
    workflow_id: str = DIGEST_SCHEDULE_ID,
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            OpsDigestWorkflow.run,
            OpsDigestInput(),
            id=workflow_id,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour)], minute=[ScheduleRange(0)])],
            time_zone_name=time_zone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_digest_schedule(
    client: Client,
    task_queue: str,
    hour: int = 7,
    time_zone: str = "Europe/Stockholm",
    schedule_id: str = DIGEST_SCHEDULE_ID,
) -> bool:
    """Create the daily digest schedule unless it exists; True when this call created it."""
    try:
        await client.create_schedule(
            schedule_id, digest_schedule(task_queue, hour, time_zone, workflow_id=schedule_id)
        )
    except ScheduleAlreadyRunningError:
        return False
    log.info("schedule.created", schedule_id=schedule_id, hour=hour, time_zone=time_zone)
    return True


def archive_schedule(
    task_queue: str, settings: ArchiveSettings, workflow_id: str = ARCHIVE_SCHEDULE_ID
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ArchivingWorkflow.run,
            ArchivingInput(batch_size=settings.batch_size),
            id=workflow_id,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(minutes=settings.every_minutes))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_archive_schedule(
    client: Client,
    task_queue: str,
    settings: ArchiveSettings,
    schedule_id: str = ARCHIVE_SCHEDULE_ID,
) -> bool:
    """Create the archiving schedule, or bring an existing one up to the current settings.

    True when this call created it. Many workers starting at once each write the same schedule.
    """
    schedule = archive_schedule(task_queue, settings, workflow_id=schedule_id)
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        async def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)
        return False
    log.info("schedule.created", schedule_id=schedule_id, every_minutes=settings.every_minutes)
    return True
