"""Intake API for our own systems: create a case (idempotent on case_id), read its status,
withdraw it for the customer, send corrected details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from fastapi import APIRouter, Depends, Response
from temporalio.service import RPCError

from cases.client import (
    CaseActionRejected,
    CaseNotFound,
    case_state,
    correct_customer_details,
    start_case,
    withdraw_case,
)
from cases.erasure import erase_case
from domain.actions import DetailsCorrection, WithdrawalRequest
from domain.case import CaseState
from domain.erasure import ErasureReceipt, ErasureRequest
from domain.reply_token import case_reference
from domain.request import CancellationRequest, missing_identifiers
from portal.api.auth import require_internal_key
from portal.api.problems import PROBLEM_RESPONSES, ProblemError, validation_problem
from portal.api.schemas import CaseOut
from portal.cases import is_case_id
from portal.context import Ctx, PortalContext
from portal.outages import DATABASE_OUTAGES

log = structlog.get_logger()

router = APIRouter(
    prefix="/api/v1/cases",
    tags=["intake"],
    dependencies=[Depends(require_internal_key)],
    responses=PROBLEM_RESPONSES,
)


def _not_found(case_id: str) -> ProblemError:
    return ProblemError(404, "Case not found", f"there is no case '{case_id}'")


# The state query needs a worker; while none polls (a worker killed, a deploy), the case is
# started all the same and the caller gets its answer without waiting for one.
_STATE_QUERY_TIMEOUT = timedelta(seconds=3)


async def _current_state(ctx: PortalContext, request: CancellationRequest) -> CaseState:
    try:
        return await case_state(ctx.client, request.case_id, rpc_timeout=_STATE_QUERY_TIMEOUT)
    except (RPCError, CaseNotFound):
        # A case that was started a moment ago may not answer queries before its first step,
        # nor one whose worker is down (the query timed out).
        return CaseState(
            case_id=request.case_id,
            merchant_id=request.merchant_id,
            requested_at=request.requested_at or datetime.now(UTC),
        )


class ErasureOut(ErasureReceipt):
    """The erasure as done: when, by whom, why; already when it had been done before."""


def _out(state: CaseState) -> CaseOut:
    return CaseOut.of(state, case_reference(state.case_id))


@router.post(
    "",
    status_code=201,
    response_model=CaseOut,
    summary="Create a case (idempotent on case_id)",
    responses={200: {"model": CaseOut, "description": "The same request was already made"}},
)
async def create_case(
    request: CancellationRequest,
    response: Response,
    ctx: Ctx,
) -> CaseOut:
    merchant = await ctx.merchants.get(request.merchant_id)
    if merchant is None:
        raise validation_problem(
            [
                {
                    "field": "merchant_id",
                    "message": f"there is no merchant '{request.merchant_id}' in the directory",
                }
            ]
        )
    missing = missing_identifiers(request, merchant)
    if missing:
        raise validation_problem(
            [
                {
                    "field": f"customer.{name}",
                    "message": f"merchant '{merchant.merchant_id}' requires this identifier",
                }
                for name in missing
            ]
        )

    erased = await ctx.archive.erasures.get(request.case_id)
    if erased is not None:
        raise ProblemError(
            409,
            "Conflict",
            f"case '{request.case_id}': its personal data was erased on "
            f"{erased.erased_at.date().isoformat()}; use a new case_id for a new request",
        )
    started = await start_case(
        ctx.client,
        request,
        ctx.task_queue,
        history=ctx.history,
        merchant_name=merchant.display_name,
    )
    if not started.created:
        if started.request is None or started.request.model_dump(mode="json") != request.model_dump(
            mode="json"
        ):
            raise ProblemError(
                409,
                "Conflict",
                f"case '{request.case_id}' already exists with a different request; "
                "use a new case_id for a new request",
            )
        response.status_code = 200
    else:
        log.info("intake.case_created", case_id=request.case_id, merchant_id=merchant.merchant_id)
    return _out(started.archived_state or await _current_state(ctx, request))


@router.get("/{case_id}", response_model=CaseOut, summary="Read a case's status")
async def read_case(case_id: str, ctx: Ctx) -> CaseOut:
    if not is_case_id(case_id):
        raise _not_found(case_id)
    erased = await _erased_state(ctx, case_id)
    if erased is not None:
        return _out(erased)
    try:
        state = await case_state(ctx.client, case_id)
    except CaseNotFound:
        # Past Temporal's retention the archive still knows how the case ended.
        archived = await ctx.history.archived_case(case_id)
        if archived is None:
            raise _not_found(case_id) from None
        state = archived.state
    return _out(state)


async def _erased_state(ctx: PortalContext, case_id: str) -> CaseState | None:
    """An erased case reads as it closed, each personal value reading "erased on DATE".
    Without the database a live case's status still reads from Temporal, as before."""
    try:
        record = await ctx.archive.erasures.get(case_id)
    except DATABASE_OUTAGES:
        return None
    state = record.remains.get("state") if record is not None else None
    return CaseState.model_validate(state) if state is not None else None


@router.post(
    "/{case_id}/erasure",
    response_model=ErasureOut,
    summary="Erase the customer's personal data (an open case is withdrawn first)",
    responses={404: {"description": "No such case"}},
)
async def erase(case_id: str, erasure: ErasureRequest, ctx: Ctx) -> ErasureOut:
    """Withdraws an open case (the merchant is told to disregard it), then erases: the case's
    timeline stays, each personal value reading "erased on DATE". Asking again for an erased
    case answers with the first erasure (`already: true`)."""
    if not is_case_id(case_id):
        raise _not_found(case_id)
    try:
        receipt = await erase_case(ctx.client, case_id, erasure, ctx.task_queue)
    except CaseNotFound:
        raise _not_found(case_id) from None
    if not receipt.already:
        log.info("intake.case_erased", case_id=case_id, withdrawn=receipt.withdrawn)
    return ErasureOut.model_validate(receipt.model_dump())


async def refuse_if_erased(ctx: PortalContext, case_id: str) -> None:
    """An erased case takes nothing more (its payloads no longer decode): a 409 saying so."""
    record = await ctx.archive.erasures.get(case_id)
    if record is not None:
        on = record.erased_at.date().isoformat()
        raise ProblemError(
            409, "Case erased", f"case '{case_id}': its personal data was erased on {on}"
        )


async def _case_action(
    ctx: PortalContext, case_id: str, action: Callable[[], Awaitable[CaseState]], event: str
) -> CaseOut:
    """Run one of the case's Updates; its refusal becomes a 409 problem with the reason."""
    if not is_case_id(case_id):
        raise _not_found(case_id)
    await refuse_if_erased(ctx, case_id)
    try:
        state = await action()
    except CaseNotFound:
        raise _not_found(case_id) from None
    except CaseActionRejected as err:
        raise ProblemError(409, "Refused by the case", f"case '{case_id}': {err}") from None
    log.info(event, case_id=case_id)
    return _out(state)


@router.post(
    "/{case_id}/withdrawal",
    response_model=CaseOut,
    summary="The customer withdraws the request (until the merchant answered)",
)
async def withdraw(case_id: str, withdrawal: WithdrawalRequest, ctx: Ctx) -> CaseOut:
    return await _case_action(
        ctx,
        case_id,
        lambda: withdraw_case(ctx.client, case_id, withdrawal),
        "intake.case_withdrawn",
    )


@router.post(
    "/{case_id}/corrections",
    response_model=CaseOut,
    summary="Corrected customer details after 'no subscription found' (within 14 days)",
)
async def correct(case_id: str, correction: DetailsCorrection, ctx: Ctx) -> CaseOut:
    return await _case_action(
        ctx,
        case_id,
        lambda: correct_customer_details(ctx.client, case_id, correction),
        "intake.details_corrected",
    )
