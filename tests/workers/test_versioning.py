"""Worker Deployment Versioning on the real dev server, the rollout the README describes.

Workers built from settings with a build id poll as that version; making it current with
`temporal worker deployment set-current-version` sends it the cases; a case running on v1
moves to v2 at its next task once v2 is current (auto-upgrade), even while v1's worker still
polls, and finishes correctly there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cases.client import start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.merchant import Merchant
from domain.request import CancellationRequest
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.servers import _binary
from tests.workers.versioning_canary import VersionCanary
from workers.database import database_pool
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import WORKFLOWS, build_activities
from workers.worker import build_worker

MERCHANT = Merchant(
    merchant_id="versioned-gym",
    display_name="Versioned Gym",
    cancellation_emails=["cancel@versioned-gym.example"],
    required_identifiers=["email"],
    locale="en",
)
CUSTOMER_EMAIL = "member-v@example.org"


def settings_for(base: Settings, deployment_name: str, build_id: str) -> Settings:
    temporal = base.temporal.model_copy(
        update={"deployment_name": deployment_name, "build_id": build_id}
    )
    return base.model_copy(update={"temporal": temporal})


@asynccontextmanager
async def versioned_worker(client: Client, settings: Settings) -> AsyncIterator[None]:
    assert settings.database_url
    async with database_pool(settings.database_url) as pool:
        activities = build_activities(settings, pool)
        async with build_worker(client, settings, activities, [*WORKFLOWS, VersionCanary]):
            yield


async def temporal_cli(env: WorkflowEnvironment, *args: str) -> tuple[int, str]:
    """The `temporal` CLI from the venv against the test's server, as an operator runs it."""
    address = str(env.client.service_client.config.target_host)
    process = await asyncio.create_subprocess_exec(
        _binary("temporal"),
        *args,
        "--address",
        address,
        "--namespace",
        env.client.namespace,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


async def make_current(env: WorkflowEnvironment, deployment_name: str, build_id: str) -> None:
    """The README's command; retried because a new version is known only after its first poll."""
    args = ["worker", "deployment", "set-current-version", "--yes"]
    args += ["--deployment-name", deployment_name, "--build-id", build_id]
    code, output = await eventually(
        lambda: temporal_cli(env, *args),
        lambda result: result[0] == 0,
        what=f"set-current-version {deployment_name}.{build_id} to succeed",
    )
    assert code == 0, output


async def running_version(handle: WorkflowHandle[Any, Any]) -> str | None:
    """The deployment version the server says the case's workflow tasks go to."""
    info = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
    if not info.HasField("deployment_version"):
        return None
    assert info.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
    return info.deployment_version.build_id


async def completed_task_versions(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The build id of the worker that completed each workflow task, from the history."""
    return [
        event.workflow_task_completed_event_attributes.deployment_version.build_id
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]


def mails_to(sink: MailSink, address: str) -> list[object]:
    return [m for m in sink.messages if address in str(m.get("To", ""))]


async def test_a_running_case_moves_to_the_new_version_once_it_is_current(
    dev_server_env: WorkflowEnvironment,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    client = dev_server_env.client
    deployment = f"cancelflow-{uuid.uuid4().hex[:10]}"
    base = Settings(
        var_dir=tmp_path / "var",
        DATABASE_URL=database_url,
        smtp={"host": mail_sink.host, "port": mail_sink.port},
        temporal={"task_queue": f"versioning-{uuid.uuid4().hex[:10]}"},
    )
    async with database_pool(database_url) as pool:
        await MerchantDirectory(pool).upsert(MERCHANT)
    case_id = f"versioning-{uuid.uuid4().hex[:8]}"
    request = CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": MERCHANT.merchant_id,
            "subscription": {"name": "Gold membership"},
            "locale": "en",
            "customer": {"email": CUSTOMER_EMAIL, "first_name": "Vera", "last_name": "Lind"},
        }
    )
    v1, v2 = settings_for(base, deployment, "v1"), settings_for(base, deployment, "v2")

    async with versioned_worker(client, v1):
        await make_current(dev_server_env, deployment, "v1")
        started = await start_case(client, request, base.temporal.task_queue)
        handle = started.handle
        canary = await client.start_workflow(
            VersionCanary.run, id=f"canary-{case_id}", task_queue=base.temporal.task_queue
        )
        assert await canary.execute_update(VersionCanary.ping) == "v1"
        # The case runs on v1: the merchant email goes out and the server records v1.
        await eventually(
            lambda: mails_to(mail_sink, "cancel@versioned-gym.example"), what="the merchant email"
        )
        assert await running_version(handle) == "v1"
        assert set(await completed_task_versions(handle)) == {"v1"}

        async with versioned_worker(client, v2):
            await make_current(dev_server_env, deployment, "v2")
            # The switch reaches v1's sticky cache a moment after the command returns (a task
            # right then still ran on v1 in every trial): wait until a task of the canary, a
            # workflow on the same v1 worker, runs on v2, so the case's next task must too.
            await eventually(
                lambda: canary.execute_update(VersionCanary.ping),
                lambda build_id: build_id == "v2",
                what="a task of the canary on v1's worker to run on v2",
            )
            # v1's worker still polls: only the server's routing can send the next task to v2.
            receipt = await submit_answer(
                client,
                case_id,
                HasNowBeenCancelled(
                    answered_at=datetime.now(UTC),
                    channel=Channel.OPS,
                    responded_by="test",
                    access_until=date(2031, 1, 31),
                ),
            )
            assert receipt.recorded
            final = await asyncio.wait_for(handle.result(), timeout=30)
            await canary.signal(VersionCanary.finish)
            await asyncio.wait_for(canary.result(), timeout=30)

    assert final.status is CaseStatus.CLOSED
    assert await running_version(handle) == "v2"
    versions = await completed_task_versions(handle)
    # Every task before the switch on v1, every one after on v2, never back.
    assert versions[0] == "v1" and versions[-1] == "v2"
    assert versions == sorted(versions), versions
    await eventually(lambda: mails_to(mail_sink, CUSTOMER_EMAIL), what="the customer's email")
