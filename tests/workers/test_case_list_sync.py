"""The merchants' lists of open cases, kept in PostgreSQL from Temporal: a real dev server, a
real worker running the case workflow and a real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import CollectorRegistry
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from cases.client import case_handle, start_case, withdraw_case
from domain.actions import WithdrawalRequest
from domain.case import OPEN_STATUSES, CaseStatus
from domain.merchant import Merchant
from storage.case_list import CaseList, SyncPosition
from storage.config import CaseListSettings
from storage.erasures import strike_case
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.cases import until_status
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from workers.case_list_sync import sync_once, syncing_case_list
from workers.observability.business import BusinessMetrics, case_list_refresh
from workflows import search_attributes as sa
from workflows.cancellation import CancellationWorkflow
from workflows.case_steps import CASE_CHANGED_AT_PATCH
from workflows.inputs import CaseInput, workflow_id_for

SETTINGS = CaseListSettings()


@pytest.fixture
async def merchant(pool: asyncpg.Pool) -> Merchant:
    # Its own id: the dev server is shared, and the list holds only this directory's merchants.
    merchant = make_merchant(merchant_id=f"m-{uuid.uuid4().hex[:10]}")
    await MerchantDirectory(pool).upsert(merchant)
    return merchant


@pytest.fixture
async def task_queue(dev_server_env: WorkflowEnvironment, merchant: Merchant) -> AsyncIterator[str]:
    acts = RecordingActivities(merchants={merchant.merchant_id: merchant})
    async with running_worker(dev_server_env.client, acts) as tq:
        yield tq


async def awaiting(env: WorkflowEnvironment, tq: str, merchant: Merchant) -> str:
    request = make_request(merchant_id=merchant.merchant_id)
    await start_case(env.client, request, tq)
    await until_status(env.client, request.case_id, CaseStatus.AWAITING)
    return request.case_id


async def listed(pool: asyncpg.Pool, merchant: Merchant) -> dict[str, str | None]:
    cases = await CaseList(pool).open_cases(merchant.merchant_id, OPEN_STATUSES)
    return {c.case_id: c.status for c in cases}


async def test_the_list_follows_cases_as_they_start_and_close(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant, task_queue: str
) -> None:
    client, case_list = dev_server_env.client, CaseList(pool)
    kept, withdrawn, terminated = [
        await awaiting(dev_server_env, task_queue, merchant) for _ in range(3)
    ]
    assert await sync_once(client, case_list, SETTINGS) == "full"
    assert await listed(pool, merchant) == {
        kept: "awaiting",
        withdrawn: "awaiting",
        terminated: "awaiting",
    }

    started = await awaiting(dev_server_env, task_queue, merchant)
    await withdraw_case(client, withdrawn, WithdrawalRequest(reason="changed my mind"))
    await until_status(client, withdrawn, CaseStatus.WITHDRAWN)
    await case_handle(client, terminated).terminate("ops stopped it")

    assert await sync_once(client, case_list, SETTINGS) == "changes"
    assert await listed(pool, merchant) == {kept: "awaiting", started: "awaiting"}
    # Newest first, as visibility lists: the page's order and its paging cursor.
    cases = await case_list.open_cases(merchant.merchant_id, OPEN_STATUSES)
    assert [c.case_id for c in cases] == [started, kept]
    page_two = await case_list.open_cases(
        merchant.merchant_id, OPEN_STATUSES, started_before=cases[0].started_at
    )
    assert [c.case_id for c in page_two] == [kept]


async def test_a_full_sync_removes_what_changes_cannot_show(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant, task_queue: str
) -> None:
    client, case_list = dev_server_env.client, CaseList(pool)
    case_id = await awaiting(dev_server_env, task_queue, merchant)
    assert await sync_once(client, case_list, SETTINGS) == "full"
    [row] = await case_list.open_cases(merchant.merchant_id, OPEN_STATUSES)
    # A case whose closed workflow left visibility before any tick read it: nothing changed
    # that a tick could see, so only the comparison with every running case removes it.
    gone = replace(row, case_id=f"gone-{uuid.uuid4().hex[:8]}", workflow_id="case-gone")
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with case_list.syncing() as sync:
        assert sync is not None
        await sync.put([gone])
    assert set(await listed(pool, merchant)) == {case_id, gone.case_id}

    assert await sync_once(client, case_list, SETTINGS) == "changes"
    assert set(await listed(pool, merchant)) == {case_id, gone.case_id}

    async with case_list.syncing() as sync:
        assert sync is not None
        position = await sync.position()
        assert position is not None
        await sync.advance(SyncPosition(read_to=position.read_to, full_at=long_ago))
    assert await sync_once(client, case_list, SETTINGS) == "full"
    assert set(await listed(pool, merchant)) == {case_id}


async def test_only_one_process_syncs_at_a_time(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    case_list = CaseList(pool)
    async with case_list.syncing() as holding:
        assert holding is not None
        assert await sync_once(dev_server_env.client, case_list, SETTINGS) == "busy"
    assert await sync_once(dev_server_env.client, case_list, SETTINGS) == "full"


async def test_cases_of_merchants_outside_the_directory_are_left_out(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant
) -> None:
    stranger = make_merchant(merchant_id=f"stranger-{uuid.uuid4().hex[:8]}")
    acts = RecordingActivities(merchants={stranger.merchant_id: stranger})
    async with running_worker(dev_server_env.client, acts) as tq:
        await awaiting(dev_server_env, tq, stranger)
        assert await sync_once(dev_server_env.client, CaseList(pool), SETTINGS) == "full"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM case_list WHERE merchant_id = $1", stranger.merchant_id
        )
        == 0
    )


async def test_erasing_a_case_strikes_its_row(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant, task_queue: str
) -> None:
    case_id = await awaiting(dev_server_env, task_queue, merchant)
    assert await sync_once(dev_server_env.client, CaseList(pool), SETTINGS) == "full"
    async with pool.acquire() as conn:
        await strike_case(conn, case_id, "[erased 2026-12-03]")
    assert await listed(pool, merchant) == {}


async def test_the_worker_side_loop_lists_a_new_case_within_ticks(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant, task_queue: str
) -> None:
    fast = CaseListSettings(every_seconds=0.1)
    async with syncing_case_list(dev_server_env.client, pool, fast):
        case_id = await awaiting(dev_server_env, task_queue, merchant)

        async def shown() -> bool:
            return await listed(pool, merchant) == {case_id: "awaiting"}

        await eventually(shown, what="the new case in its merchant's list")


def _markers(history: WorkflowHistory) -> list[bytes]:
    return [
        payload.data
        for event in history.events
        for details in event.marker_recorded_event_attributes.details.values()
        for payload in details.payloads
    ]


async def test_a_case_started_before_the_attribute_is_listed_at_its_next_status_change(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool, merchant: Merchant, task_queue: str
) -> None:
    """As a case started before this release: no CaseChangedAt (nor any other attribute) at
    its start. Its first status change sets it, behind the patch, and a tick lists it."""
    client, case_list = dev_server_env.client, CaseList(pool)
    assert await sync_once(client, case_list, SETTINGS) == "full"
    request = make_request(merchant_id=merchant.merchant_id)
    handle = await client.start_workflow(
        CancellationWorkflow.run,
        CaseInput(request=request),
        id=workflow_id_for(request.case_id),
        task_queue=task_queue,
    )
    await until_status(client, request.case_id, CaseStatus.AWAITING)
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.CASE_CHANGED_AT) is not None
    assert any(CASE_CHANGED_AT_PATCH.encode() in m for m in _markers(await handle.fetch_history()))

    assert await sync_once(client, case_list, SETTINGS) == "changes"
    assert await listed(pool, merchant) == {request.case_id: "awaiting"}


async def test_a_case_started_with_the_attribute_asks_no_patch(
    dev_server_env: WorkflowEnvironment, merchant: Merchant, task_queue: str
) -> None:
    case_id = await awaiting(dev_server_env, task_queue, merchant)
    handle = case_handle(dev_server_env.client, case_id)
    started = (await handle.describe()).typed_search_attributes.get(sa.CASE_CHANGED_AT)
    assert started is not None
    assert not any(
        CASE_CHANGED_AT_PATCH.encode() in m for m in _markers(await handle.fetch_history())
    )


async def test_the_worker_metric_says_how_far_the_lists_are_behind(
    dev_server_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    registry = CollectorRegistry()
    refresh = case_list_refresh(BusinessMetrics(registry), pool)

    async def lag() -> float | None:
        await refresh()
        return registry.get_sample_value("cancelflow_case_list_lag_seconds")

    assert await lag() == -1.0
    assert await sync_once(dev_server_env.client, CaseList(pool), SETTINGS) == "full"
    behind = await lag()
    assert behind is not None and 0.0 <= behind < 10.0
