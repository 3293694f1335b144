"""The case workflow as callers see it: start a case, answer it, read it.

Used by the CLI, the portal and the APIs; runs outside workflows (it is client code).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from cases.case_listing import list_cases as list_cases
from cases.case_listing import open_cases as open_cases
from cases.case_start import case_summary as case_summary
from cases.case_start import starting_search_attributes as starting_search_attributes

# Re-exported: callers read histories (live or archived) through this one door too.
from cases.history_source import ArchivedHistories as ArchivedHistories
from cases.history_source import CaseHistoryNotFound as CaseHistoryNotFound
from cases.history_source import HistorySource as HistorySource
from cases.history_source import TemporalArchiveSource as TemporalArchiveSource
from cases.ownership import is_merchants_live_case as is_merchants_live_case
from cases.recorded_merchant import RecordedCase as RecordedCase
from cases.recorded_merchant import recorded_case as recorded_case
from cases.recorded_merchant import recorded_case_of as recorded_case_of
from cases.references import ArchivedReferences as ArchivedReferences
from cases.references import resolve_case_id as resolve_case_id
from cases.update_limits import aborted_by_server, describe_or_none, update_within_limits
from domain import refusals
from domain.actions import (
    DetailsCorrection,
    EmailReplyNotice,
    ResendRequest,
    SnoozeRequest,
    WithdrawalRequest,
)
from domain.answers import MerchantAnswer
from domain.case import AnswerReceipt, CaseState
from domain.case_listing import CaseListing as CaseListing
from domain.request import CancellationRequest
from workflows import search_attributes as sa
from workflows.cancellation import CancellationWorkflow
from workflows.inputs import (
    NOT_YOUR_CASE,
    CaseInput,
    SubmitAnswer,
    workflow_id_for,
)


@dataclass(frozen=True)
class StartedCase:
    handle: WorkflowHandle[CancellationWorkflow, CaseState]
    created: bool
    request: CancellationRequest | None
    """The request the existing case was started with (None when unreadable)."""
    archived_state: CaseState | None = None
    """How the case ended, when Temporal no longer holds it and the archive does."""


class AnswerRejected(Exception):
    """The workflow refused the answer; str() is the reason, for people."""


class CaseNotFound(Exception):
    pass


async def start_case(
    client: Client,
    request: CancellationRequest,
    task_queue: str,
    history: HistorySource | None = None,
    merchant_name: str | None = None,
) -> StartedCase:
    """Start the case for request.case_id, or return the existing one (open or closed).

    With history, a case that Temporal deleted after its retention is found in the archive,
    so the same request long after still gives one case, not a second one. merchant_name
    (the directory's display name, when the caller has it) goes into the UI summary.
    """
    workflow_id = workflow_id_for(request.case_id)
    # A case in a later round is still running in Temporal with its first run archived: one
    # describe rules that out before the archived run is decoded and replayed.
    if (
        history is not None
        and await history.archived_merchant(request.case_id) is not None
        and await case_merchant(client, request.case_id) is None
    ):
        archived = await history.archived_case(request.case_id)
        if archived is not None:
            return StartedCase(
                handle=client.get_workflow_handle_for(CancellationWorkflow.run, workflow_id),
                created=False,
                request=archived.request,
                archived_state=archived.state,
            )
    try:
        handle = await client.start_workflow(
            CancellationWorkflow.run,
            CaseInput(request=request),
            id=workflow_id,
            task_queue=task_queue,
            # One case per case_id, ever: a repeated start finds the existing case.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=case_summary(request, merchant_name),
            search_attributes=starting_search_attributes(request),
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


async def case_merchant(client: Client, case_id: str) -> str | None:
    """The merchant a case belongs to, or None when there is no such case.

    One describe call (no query, no history read), which costs the same for an open, a
    closed and an unknown case: deciding ownership by it does not tell a caller whether
    another merchant's case exists (issue 9 #3). Only a case whose MerchantId is not set
    yet (its first moment, when not set at start) is read from its first event.
    """
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    merchant_id = description.typed_search_attributes.get(sa.MERCHANT_ID)
    if merchant_id is None:
        request = await original_request(handle)
        return request.merchant_id if request is not None else None
    return merchant_id


async def case_state(
    client: Client, case_id: str, rpc_timeout: timedelta | None = None
) -> CaseState:
    """The state query. It needs a worker: with none polling it waits (rpc_timeout bounds
    that; then an RPCError DEADLINE_EXCEEDED)."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return await case_handle(client, case_id).query(
            CancellationWorkflow.state, rpc_timeout=rpc_timeout
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound(case_id) from err
        raise


async def settled_state(
    client: Client, case_id: str, rpc_timeout: timedelta | None = None
) -> CaseState:
    """A completed case's result (read without a worker), else its state query.

    Raises CaseNotFound; an RPCError from the query (no worker polling) is left to the caller.
    """
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CaseNotFound(case_id) from err
        raise
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    return await handle.query(CancellationWorkflow.state, rpc_timeout=rpc_timeout)


async def submit_answer(
    client: Client, case_id: str, answer: MerchantAnswer, merchant_id: str | None = None
) -> AnswerReceipt:
    """Record an answer through the Update: returns the receipt or raises AnswerRejected.

    With merchant_id, a case of another merchant raises CaseNotFound, like an unknown one:
    the case's validator checks it, so no query or history read comes before the Update.
    """
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        receipt: AnswerReceipt = await update_within_limits(
            handle,
            CancellationWorkflow.submit_answer,
            SubmitAnswer(answer=answer, merchant_id=merchant_id),
        )
        return receipt
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == NOT_YOUR_CASE:
            raise CaseNotFound(case_id) from err
        raise AnswerRejected(getattr(cause, "message", None) or str(cause)) from err
    except RPCError as err:
        closed = err.status == RPCStatusCode.NOT_FOUND
        aborted = (
            RPCStatusCode.CANCELLED,
            RPCStatusCode.UNAVAILABLE,
            RPCStatusCode.DEADLINE_EXCEEDED,
        )
        if not closed and err.status in aborted:
            # An Update the server aborted because the case closed meanwhile ends as one sent
            # after it closed, not as an outage (a burst of answers to one case does this).
            status = await describe_or_none(handle)
            closed = status is not None and status != WorkflowExecutionStatus.RUNNING
        busy = err.status == RPCStatusCode.RESOURCE_EXHAUSTED or aborted_by_server(err)
        if closed or busy:
            # Updates cannot reach a closed workflow; one still busy after the backoff is in a
            # burst of answers, whose first recorded one settles the rest as its validator
            # would. Either way, say why in the case's own words.
            desc = await describe_or_none(handle)
            if desc is None:
                raise CaseNotFound(case_id) from err
            state = await handle.query(CancellationWorkflow.state)
            if merchant_id is not None and state.merchant_id != merchant_id:
                raise CaseNotFound(case_id) from err
            refusal = refusals.answer_refusal(state, answer)
            if refusal is None and state.answer is not None:
                return AnswerReceipt(
                    case_id=case_id, recorded=False, answer=state.answer, status=state.status
                )
            if refusal is None and not closed:
                raise  # nothing settles it yet: busy, and the caller may retry (503)
            raise AnswerRejected(
                refusal or f"the case is {state.status.value}; it no longer takes answers"
            ) from err
        raise


class CaseActionRejected(AnswerRejected):
    """The case refused a withdrawal, correction or snooze; str() is the reason."""


async def _case_update(
    client: Client,
    case_id: str,
    update: Any,
    argument: object,
    refusal: Callable[[CaseState], str | None],
) -> CaseState:
    """Run one of the case's state-changing Updates, translating refusals for people.

    A closed case can no longer run Updates: its refusal is then the domain rule's words.
    """
    from temporalio.service import RPCError, RPCStatusCode

    handle = case_handle(client, case_id)
    try:
        result: CaseState = await update_within_limits(handle, update, argument)
        return result
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise CaseActionRejected(getattr(cause, "message", None) or str(cause)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            if await describe_or_none(handle) is None:
                raise CaseNotFound(case_id) from err
            state = await handle.query(CancellationWorkflow.state)
            raise CaseActionRejected(
                refusal(state)
                or f"the case is {state.status.value}; it no longer takes this request"
            ) from err
        raise


async def withdraw_case(client: Client, case_id: str, request: WithdrawalRequest) -> CaseState:
    """The customer withdraws: allowed until the merchant answered (and while following up)."""
    return await _case_update(
        client, case_id, CancellationWorkflow.withdraw_case, request, refusals.withdrawal_refusal
    )


async def correct_customer_details(
    client: Client, case_id: str, correction: DetailsCorrection
) -> CaseState:
    """Corrected details after 'no subscription found' start a new round with the merchant."""
    return await _case_update(
        client,
        case_id,
        CancellationWorkflow.correct_customer_details,
        correction,
        lambda state: refusals.correction_refusal(state, correction),
    )


async def snooze_case(client: Client, case_id: str, request: SnoozeRequest) -> CaseState:
    """Ops push the next reminder or escalation to a date."""
    return await _case_update(
        client,
        case_id,
        CancellationWorkflow.snooze,
        request,
        lambda state: refusals.snooze_refusal(state, None, request, datetime.now(UTC)),
    )


async def resend_request(client: Client, case_id: str, request: ResendRequest) -> CaseState:
    """Ops send the merchant the round's request again (email and, for a webhook merchant,
    `cancellation.requested`); the reminders and escalation keep their dates. Returns when
    it is sent; a relay that refuses for two minutes refuses the resend with its reason."""
    return await _case_update(
        client, case_id, CancellationWorkflow.resend_request, request, refusals.resend_refusal
    )


async def signal_email_reply(
    client: Client,
    case_id: str,
    notice: EmailReplyNotice,
    rpc_timeout: timedelta | None = None,
) -> None:
    """Tell the case that a merchant's email reply was stored (raises RPCError NOT_FOUND
    when the case has closed or never existed)."""
    await case_handle(client, case_id).signal(
        CancellationWorkflow.email_reply_received, notice, rpc_timeout=rpc_timeout
    )
