"""What erasing a case needs from Temporal and the audit, handed to the erasure activities
(activities/erasure.py), which reach neither themselves."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.erasure import ErasureActivities
from cases.client import CaseActionRejected, CaseNotFound, case_handle, withdraw_case
from cases.history_source import ArchivedHistories, CaseHistoryNotFound, HistorySource, final_state
from domain.actions import WithdrawalRequest
from domain.erasure import erased_marker, redact
from domain.webhooks import DELIVERY_WORKFLOW_ID_PREFIX
from ops.audit import timeline_of_runs
from ops.audit.erased import redacted_timeline
from storage.archive import ArchiveStore
from workers.codec import CaseKeyCodec, case_of_workflow
from workers.settings import Settings
from workflows.inputs import CaseInput

ERASURE_ACTOR = "erasure"
# Why a case the merchant already answered is stopped rather than withdrawn; no personal data.
TERMINATED_FOR_ERASURE = "personal data erasure requested (see the case's erasure record)"


async def case_remains(
    client: Client, archive: ArchivedHistories, case_id: str, on: date
) -> dict[str, Any] | None:
    """What the case will still show once erased: its timeline and last state, each personal
    value replaced; None when there is no such case."""
    try:
        runs = await HistorySource(client, archive).case_histories(case_id)
    except CaseHistoryNotFound:
        return None
    marker = erased_marker(on)
    timeline = await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)
    state = await final_state(client, runs.events[-1]) if runs.events else None
    return {
        **redacted_timeline(timeline, marker),
        "state": redact(state.model_dump(mode="json"), marker) if state is not None else None,
        "subscription": await _subscription(client, runs.events, marker),
    }


async def _subscription(
    client: Client, runs: list[list[HistoryEvent]], marker: str
) -> dict[str, Any] | None:
    """What the customer cancelled (its name; an account reference is personal)."""
    if not runs or not runs[0]:
        return None
    payloads = runs[0][0].workflow_execution_started_event_attributes.input.payloads
    try:
        [case_input] = await client.data_converter.decode(payloads, [CaseInput])
    except Exception:  # noqa: BLE001 - an input we cannot read leaves the name out, not the rest
        return None
    if not isinstance(case_input, CaseInput):
        return None
    subscription: dict[str, Any] = redact(
        case_input.request.subscription.model_dump(mode="json"), marker
    )
    return subscription


async def withdraw_for_erasure(client: Client, case_id: str, wait: float = 240.0) -> bool:
    """An open case is withdrawn (the merchant is emailed to disregard it) and waited for
    until it closes; one the merchant already answered is stopped. False: it was not open."""
    handle = case_handle(client, case_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        return False
    try:
        await withdraw_case(client, case_id, WithdrawalRequest(requested_by=ERASURE_ACTOR))
    except CaseActionRejected:
        await handle.terminate(reason=TERMINATED_FOR_ERASURE)
    except CaseNotFound:
        return False
    deadline = asyncio.get_running_loop().time() + wait
    while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        if activity.in_activity():
            activity.heartbeat(case_id)
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"case '{case_id}' did not close after its withdrawal")
        await asyncio.sleep(0.2)
    return True


async def settle_deliveries(client: Client, case_id: str, wait: float = 60.0) -> int:
    """The case's webhook deliveries still running (a withdrawal's, an endpoint being retried)
    get `wait` seconds to finish, then are terminated: once the key is gone they could neither
    read their event nor stop. Returns how many were terminated."""
    query = (
        f"WorkflowId STARTS_WITH '{DELIVERY_WORKFLOW_ID_PREFIX}evt_{case_id}_' "
        "AND ExecutionStatus = 'Running'"
    )
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        running = [
            execution.id
            async for execution in client.list_workflows(query)
            if case_of_workflow(execution.id) == case_id
        ]
        if not running or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    for workflow_id in running:
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(workflow_id).terminate(reason=TERMINATED_FOR_ERASURE)
    return len(running)


def erasure_activities(settings: Settings, pool: asyncpg.Pool, client: Client) -> ErasureActivities:
    archive = ArchiveStore(pool)
    codec = client.data_converter.payload_codec

    def forget_key(case_id: str) -> None:
        # This process's cached copy goes at once; other processes' when the erasure's
        # notification reaches them (workers/case_key_cache.py), the TTL as the backstop.
        if isinstance(codec, CaseKeyCodec):
            codec.case_keys.forget(case_id)

    async def settle(case_id: str) -> int:
        return await settle_deliveries(client, case_id)

    async def withdraw(case_id: str) -> bool:
        return await withdraw_for_erasure(client, case_id)

    async def remains(case_id: str, on: date) -> dict[str, Any] | None:
        return await case_remains(client, archive, case_id, on)

    return ErasureActivities(
        pool,
        settings.erasure,
        withdraw=withdraw,
        remains=remains,
        settle=settle,
        forget_key=forget_key,
    )
