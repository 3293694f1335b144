"""The digest schedule follows its settings: a changed time, zone or task queue updates it."""

from __future__ import annotations

import uuid

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from workers.schedules import DigestSettings, ensure_digest_schedule


async def test_digest_schedule_follows_its_settings(dev_server_env: WorkflowEnvironment) -> None:
    client = dev_server_env.client
    schedule_id = f"digest-{uuid.uuid4().hex[:8]}"
    handle = client.get_schedule_handle(schedule_id)
    try:
        assert await ensure_digest_schedule(client, "q1", DigestSettings(), schedule_id=schedule_id)
        first = await handle.describe()
        assert first.schedule.spec.time_zone_name == "Europe/Stockholm"

        changed = DigestSettings(hour=9, minute=30, time_zone="UTC")
        assert not await ensure_digest_schedule(client, "q2", changed, schedule_id=schedule_id)
        updated = await handle.describe()
        calendar = updated.schedule.spec.calendars[0]
        assert [r.start for r in calendar.hour] == [9] and [r.start for r in calendar.minute] == [
            30
        ]
        assert updated.schedule.spec.time_zone_name == "UTC"
        action = updated.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.task_queue == "q2"
        stamp = updated.info.last_updated_at
        assert stamp is not None and stamp != first.info.last_updated_at

        # The same settings again write nothing (many workers start at once).
        assert not await ensure_digest_schedule(client, "q2", changed, schedule_id=schedule_id)
        assert (await handle.describe()).info.last_updated_at == stamp
    finally:
        await handle.delete()


def test_digest_time_zone_must_exist() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not an IANA time zone"):
        DigestSettings(time_zone="Mars/Olympus")
