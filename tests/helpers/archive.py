"""Archiving runs and deleting them from Temporal, for the archive tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from cases.client import (
    case_handle,
    case_state,
    correct_customer_details,
    start_case,
    submit_answer,
    withdraw_case,
)
from domain.actions import DetailsCorrection, WithdrawalRequest
from domain.answers import BindingContract, HasNowBeenCancelled, NoSubscriptionFound, OtherReason
from domain.case import CaseState, CaseStatus
from domain.common import Channel
from domain.customer import CustomerIdentifiers
from ops.audit import case_timeline
from tests.eventually import eventually
from tests.helpers.harness import make_request
from workflows.archiving import ArchivingInput, ArchivingResult, ArchivingWorkflow
from workflows.cancellation import CancellationWorkflow

T = TypeVar("T")


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


Drive = Callable[[Client, str], Awaitable[None]]


def _by() -> dict[str, Any]:
    return {"answered_at": datetime.now(UTC), "channel": Channel.PORTAL, "responded_by": "Bo"}


async def _status(client: Client, case_id: str, status: CaseStatus) -> None:
    await eventually(lambda: case_state(client, case_id), lambda s: s.status is status)


async def cancelled(client: Client, case_id: str) -> None:
    await submit_answer(
        client, case_id, HasNowBeenCancelled(access_until=date(2030, 1, 31), **_by())
    )


async def other_reason(client: Client, case_id: str) -> None:
    await submit_answer(client, case_id, OtherReason(message="fraud investigation", **_by()))


async def withdrawn(client: Client, case_id: str) -> None:
    await withdraw_case(client, case_id, WithdrawalRequest(reason="changed my mind"))


async def binding_contract_round_two(client: Client, case_id: str) -> None:
    # With the merchant's one-day notice period, the follow-up is 09:00 (merchant time) the
    # day before the contract ends: already past, whatever the time of day the test runs,
    # so round 2 (continue-as-new) starts at once.
    ends = datetime.now(UTC).date()
    await submit_answer(client, case_id, BindingContract(contract_ends_on=ends, **_by()))
    await eventually(
        lambda: case_state(client, case_id),
        lambda s: s.round == 2 and s.status is CaseStatus.AWAITING,
    )
    await cancelled(client, case_id)


async def corrected_round_two(client: Client, case_id: str) -> None:
    await submit_answer(client, case_id, NoSubscriptionFound(**_by()))
    await _status(client, case_id, CaseStatus.FOLLOW_UP)
    corrected = CustomerIdentifiers(
        email="anna.s@example.org", first_name="A", last_name="B", card_last4="1111"
    )
    await correct_customer_details(client, case_id, DetailsCorrection(customer=corrected))
    await eventually(
        lambda: case_state(client, case_id),
        lambda s: s.round == 2 and s.status is CaseStatus.AWAITING,
    )
    await cancelled(client, case_id)


SCENARIOS: dict[str, tuple[Drive, CaseStatus, int]] = {
    "cancelled": (cancelled, CaseStatus.CLOSED, 1),
    "other-reason": (other_reason, CaseStatus.CLOSED, 1),
    "withdrawn": (withdrawn, CaseStatus.WITHDRAWN, 1),
    "binding-contract-round-two": (binding_contract_round_two, CaseStatus.CLOSED, 2),
    "corrected-round-two": (corrected_round_two, CaseStatus.CLOSED, 2),
}


async def _final_state(client: Client, case_id: str) -> CaseState:
    handle = case_handle(client, case_id)
    try:
        return await handle.result()
    except WorkflowFailureError:
        return await handle.query(CancellationWorkflow.state)


@dataclass
class Before:
    case_id: str
    status: CaseStatus
    runs: list[str]
    timeline: str
    state: CaseState


async def _run_case(client: Client, task_queue: str, name: str) -> Before:
    request = make_request(merchant_id="nobody" if name == "failed" else "acme")
    await start_case(client, request, task_queue)
    if name == "failed":
        expected_status, expected_runs = CaseStatus.FAILED, 1
    else:
        drive, expected_status, expected_runs = SCENARIOS[name]
        await _status(client, request.case_id, CaseStatus.AWAITING)
        await drive(client, request.case_id)
    state = await _final_state(client, request.case_id)
    assert state.status is expected_status, name
    live = await case_timeline(client, request.case_id)
    assert len(live.runs) == expected_runs, name
    return Before(
        request.case_id,
        expected_status,
        live.runs,
        json.dumps(live.to_json(), default=str, indent=2),
        state,
    )
