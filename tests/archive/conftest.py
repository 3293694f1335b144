"""Fixtures for the archive tests: an encrypting client on the dev server, a migrated database,
a worker running the archiving workflow with its real activities."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg
import pytest
from click.testing import CliRunner, Result
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.archiving import ArchivingActivities
from storage.archive import ArchiveSettings, ArchiveStore
from storage.db import migrate
from tests.eventually import eventually
from tests.operator_env import set_operator_env
from workers.cli import cli
from workers.codec import EncryptionKey, encrypting_converter, format_keys, new_key
from workflows.archiving import ArchivingInput, ArchivingResult, ArchivingWorkflow
from workflows.client import TemporalArchiveSource
from workflows.sandbox import workflow_runner

T = TypeVar("T")


@pytest.fixture(scope="session")
def codec_keys() -> list[EncryptionKey]:
    return [new_key("archive-test-1")]


@pytest.fixture(scope="session")
async def encrypted_client(
    dev_server_env: WorkflowEnvironment, codec_keys: list[EncryptionKey]
) -> Client:
    plain = dev_server_env.client
    return await Client.connect(
        plain.service_client.config.target_host,
        namespace=plain.namespace,
        data_converter=encrypting_converter(codec_keys),
    )


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    assert created is not None
    await migrate(created)
    try:
        yield created
    finally:
        await created.close()


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


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
    codec_keys: list[EncryptionKey],
    database_url: str,
    tmp_path: object,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "default")
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS", format_keys(codec_keys))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path))
    set_operator_env(monkeypatch)
    monkeypatch.delenv("CANCELFLOW_CODEC__ALLOW_PLAINTEXT", raising=False)


async def cancelflow(*args: str) -> Result:
    # The CLI runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), catch_exceptions=False)
