"""The case workflow as callers see it: start a case, answer it, read it.

Used by the CLI, the portal and the APIs; runs outside workflows (it is client code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.actions import DetailsCorrection, SnoozeRequest, WithdrawalRequest
from domain.answers import MerchantAnswer
from domain.case import AnswerReceipt, CaseState
from domain.request import CancellationRequest
from workflows.cancellation import CancellationWorkflow, CaseInput, SubmitAnswer, workflow_id_for


@dataclass(frozen=True)
class StartedCase:
    handle: WorkflowHandle[CancellationWorkflow, CaseState]
    created: bool
    request: CancellationRequest | None
    """The request the existing case was started with (None when unreadable)."""


class AnswerRejected(Exception):
    """The workflow refused the answer; str() is the reason, for people."""


class CaseNotFound(Exception):
    pass


async def start_case(client: Client, request: CancellationRequest, task_queue: str) -> StartedCase:
    """Start the case for request.case_id, or return the existing one (open or closed)."""
    workflow_id = workflow_id_for(request.case_id)
    try:
        handle = await client.start_workflow(
            CancellationWorkflow.run,
            CaseInput(request=request),
            id=workflow_id,
            task_queue=task_queue,
            # One case per case_id, ever: a repeated start finds the existing case.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Cancel {request.subscription.name} at {request.merchant_id}",
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(CancellationWorkflow.run, workflow_id)
        return StartedCase(handle=handle, created=False, request=await original_request(handle))
    # With USE_EXISTING the server answers a start on a running case with that case;
    # its response says whether this call started it.
    response = getattr(handle, "_start_workflow_response", None)
    created = bool(getattr(response, "started", True))
    original = request if created else await original_request(handle)
    return StartedCase(handle=handle, created=created, request=original)


async def original_request(
    handle: WorkflowHandle[CancellationWorkflow, CaseState],
) -> CancellationRequest | None:
    """The request from the first event of the case's history (works for closed cases)."""
    async for event in handle.fetch_history_events():
        attrs = event.workflow_execution_started_event_attributes
        if attrs.input.payloads:
            converter = handle._client.data_converter  # noqa: SLF001 - public in practice
            [case_input] = await converter.decode(attrs.input.payloads, [CaseInput])
            assert isinstance(case_input, CaseInput)
            return case_input.request
        break
    return None


def case_handle(client: Client, case_id: str) -> WorkflowHandle[CancellationWorkflow, CaseState]:
    return client.get_workflow_handle_for(CancellationWorkflow.run, workflow_id_for(case_id))


async def case_state(client: Client, case_id: str) -> CaseState:
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return await case_handle(client, case_id).query(CancellationWorkflow.state)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound(case_id) from err
        raise


async def submit_answer(client: Client, case_id: str, answer: MerchantAnswer) -> AnswerReceipt:
    """Record an answer through the Update: returns the receipt or raises AnswerRejected."""
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        return await handle.execute_update(
            CancellationWorkflow.submit_answer, SubmitAnswer(answer=answer)
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise AnswerRejected(getattr(cause, "message", None) or str(cause)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            # Updates cannot reach a closed workflow; say why in the case's own words.
            desc = await _describe_or_none(handle)
            if desc is None:
                raise CaseNotFound(case_id) from err
            state = await handle.query(CancellationWorkflow.state)
            if state.answer is not None and state.answer.same_outcome_as(answer):
                return AnswerReceipt(
                    case_id=case_id, recorded=False, answer=state.answer, status=state.status
                )
            if state.answer is not None:
                raise AnswerRejected(
                    f"an answer was already recorded on {state.answer.answered_at.isoformat()} "
                    f"through {state.answer.channel.value} ({state.answer.outcome.value}); "
                    "a different answer cannot replace it"
                ) from err
            raise AnswerRejected(
                f"the case is {state.status.value}; it no longer takes answers"
            ) from err
        raise


async def _describe_or_none(
    handle: WorkflowHandle[CancellationWorkflow, CaseState],
) -> WorkflowExecutionStatus | None:
    from temporalio.service import RPCError

    try:
        return (await handle.describe()).status
    except RPCError:
        return None


class CaseActionRejected(AnswerRejected):
    """The case refused a withdrawal, correction or snooze; str() is the reason."""


async def _case_update(client: Client, case_id: str, update: Any, argument: object) -> CaseState:
    """Run one of the case's state-changing Updates, translating refusals for people."""
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        result: CaseState = await handle.execute_update(update, argument)
        return result
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise CaseActionRejected(getattr(cause, "message", None) or str(cause)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            if await _describe_or_none(handle) is None:
                raise CaseNotFound(case_id) from err
            state = await handle.query(CancellationWorkflow.state)
            raise CaseActionRejected(
                f"the case is {state.status.value}; it no longer takes this request"
            ) from err
        raise


async def withdraw_case(client: Client, case_id: str, request: WithdrawalRequest) -> CaseState:
    """The customer withdraws: allowed until the merchant answered (and while following up)."""
    return await _case_update(client, case_id, CancellationWorkflow.withdraw_case, request)


async def correct_customer_details(
    client: Client, case_id: str, correction: DetailsCorrection
) -> CaseState:
    """Corrected details after 'no subscription found' start a new round with the merchant."""
    return await _case_update(
        client, case_id, CancellationWorkflow.correct_customer_details, correction
    )


async def snooze_case(client: Client, case_id: str, request: SnoozeRequest) -> CaseState:
    """Ops push the next reminder or escalation to a date."""
    return await _case_update(client, case_id, CancellationWorkflow.snooze, request)
