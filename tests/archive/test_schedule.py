"""The archiving schedule: made at worker start, and brought up to the settings when it exists."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import Client

from storage.archive import ArchiveSettings
from workers.schedules import ensure_archive_schedule


async def test_the_schedule_is_created_once_and_follows_the_settings(
    encrypted_client: Client,
) -> None:
    schedule_id = f"archive-schedule-{uuid.uuid4().hex[:8]}"
    assert await ensure_archive_schedule(encrypted_client, "tq", ArchiveSettings(), schedule_id)
    changed = ArchiveSettings(every_minutes=5)
    assert not await ensure_archive_schedule(encrypted_client, "tq", changed, schedule_id)
    handle = encrypted_client.get_schedule_handle(schedule_id)
    try:
        described = await handle.describe()
        assert [i.every for i in described.schedule.spec.intervals] == [timedelta(minutes=5)]
    finally:
        await handle.delete()
