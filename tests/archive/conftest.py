"""Fixtures for the archive tests (the encrypting client, migrated database and CLI environment
are shared, in tests/conftest.py): the archive store, a worker running the archiving workflow
with its real activities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.archiving import ArchivingActivities
from cases.client import TemporalArchiveSource
from storage.archive import ArchiveSettings, ArchiveStore
from tests.helpers.archive import Archiver
from workflows.archiving import ArchivingWorkflow
from workflows.sandbox import workflow_runner


@pytest.fixture
async def store(pool: asyncpg.Pool) -> ArchiveStore:
    archive = ArchiveStore(pool)
    # Only what this test closes: other tests' cases on the shared dev server closed before.
    await archive.advance_checkpoint(datetime.now(UTC) - timedelta(seconds=1))
    return archive


@pytest.fixture
async def archiver(encrypted_client: Client, store: ArchiveStore) -> AsyncIterator[Archiver]:
    activities = ArchivingActivities(
        TemporalArchiveSource(encrypted_client), store, ArchiveSettings()
    )
    task_queue = f"archive-{uuid.uuid4().hex[:8]}"
    async with Worker(
        encrypted_client,
        task_queue=task_queue,
        workflows=[ArchivingWorkflow],
        activities=activities.activities(),
        workflow_runner=workflow_runner(),
    ):
        yield Archiver(encrypted_client, task_queue)
