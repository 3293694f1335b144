"""Automatic erasure: the retention workflow erases the archived cases that closed more than
CANCELFLOW_ERASURE__AFTER_DAYS ago, leaves the younger ones and the open ones, and its
schedule is made like the archiver's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from domain.erasure import ErasureTrigger
from storage.erasures import ErasureSettings, ErasureStore
from tests.helpers.privacy import Running, archive_now, closed_case
from workers.schedules import ensure_retention_schedule
from workflows.retention import RetentionInput, RetentionResult, RetentionWorkflow


async def test_closed_cases_past_their_retention_are_erased_and_only_they(
    running: Running,
) -> None:
    await running.pool.execute(
        "INSERT INTO case_archive_checkpoint (name, close_time) VALUES ('cases', $1)",
        datetime.now(UTC) - timedelta(seconds=1),
    )
    old, young = await closed_case(running), await closed_case(running)
    await archive_now(running)
    after_days = ErasureSettings().after_days
    await running.pool.execute(
        "UPDATE case_archive SET close_time = now() - $2::interval WHERE case_id = $1",
        old,
        timedelta(days=after_days, hours=1),
    )
    await running.pool.execute(
        "UPDATE case_archive SET close_time = now() - $2::interval WHERE case_id = $1",
        young,
        timedelta(days=after_days - 1),
    )
    result: RetentionResult = await running.client.execute_workflow(
        RetentionWorkflow.run,
        RetentionInput(batch_size=1),
        id=f"retention-{uuid.uuid4().hex[:8]}",
        task_queue=running.stack.settings.temporal.task_queue,
    )
    assert (result.erased, result.already, result.skipped) == (1, 0, [])
    erasures = ErasureStore(running.pool)
    record = await erasures.get(old)
    assert record is not None and record.trigger is ErasureTrigger.RETENTION
    assert record.erased_by == "retention" and f"{after_days} days" in record.reason
    assert await erasures.get(young) is None
    again: RetentionResult = await running.client.execute_workflow(
        RetentionWorkflow.run,
        RetentionInput(),
        id=f"retention-{uuid.uuid4().hex[:8]}",
        task_queue=running.stack.settings.temporal.task_queue,
    )
    assert again.erased == 0


async def test_the_retention_schedule_is_made_once_and_follows_its_settings(
    keyed_client: Client,
) -> None:
    schedule_id = f"retention-test-{uuid.uuid4().hex[:8]}"
    settings = ErasureSettings(every_minutes=30)
    assert await ensure_retention_schedule(keyed_client, "q", settings, schedule_id)
    assert not await ensure_retention_schedule(
        keyed_client, "q", settings.model_copy(update={"every_minutes": 45}), schedule_id
    )
    handle = keyed_client.get_schedule_handle(schedule_id)
    try:
        spec = (await handle.describe()).schedule.spec
        assert spec.intervals[0].every == timedelta(minutes=45)
    finally:
        await handle.delete()
