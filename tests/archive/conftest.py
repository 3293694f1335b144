"""Fixtures for the archive tests (the encrypting client, migrated database and CLI environment
are shared, in tests/conftest.py): the archive store, a worker running the archiving workflow
with its real activities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.archiving import ArchivingActivities
from cases.client import TemporalArchiveSource
from storage.archive import ArchiveSettings, ArchiveStore
from tests.eventually import eventually
from workflows.archiving import ArchivingInput, ArchivingResult, ArchivingWorkflow
from workflows.sandbox import workflow_runner

T = TypeVar("T")


@pytest.fixture
async def store(pool: asyncpg.Pool) -> ArchiveStore:
    archive = ArchiveStore(pool)
    # Only what this test closes: other tests' cases on the shared dev server closed before.
    await archive.advance_checkpoint(datetime.now(UTC) - timedelta(seconds=1))
    return archive


class Archiver:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def run(self, **fields: object) -> ArchivingResult:
        return await self.client.execute_workflow(
            ArchivingWorkflow.run,
            ArchivingInput.model_validate({"settle_seconds": 0, **fields}),
            id=f"archive-test-{uuid.uuid4().hex[:8]}",
            task_queue=self.task_queue,
        )


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


async def delete_from_temporal(client: Client, workflow_id: str, run_ids: list[str]) -> None:
    """What retention does to a closed case (`temporal workflow delete`)."""
    for run_id in run_ids:
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            )
        )


async def wait_until_deleted(client: Client, runs: list[tuple[str, list[str]]]) -> None:
    """The dev server deletes in the background (about half a minute, measured)."""

    async def remaining() -> int:
        left = 0
        for workflow_id, run_ids in runs:
            for run_id in run_ids:
                try:
                    await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
                except RPCError as err:
                    if err.status != RPCStatusCode.NOT_FOUND:
                        raise
                    continue
                left += 1
        return left

    await eventually(remaining, lambda left: left == 0, within=120)
