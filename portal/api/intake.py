"""Intake API for our own systems: create a case (idempotent on case_id), read its status,
withdraw it for the customer, send corrected details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

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
from domain.actions import DetailsCorrection, WithdrawalRequest
from domain.case import CaseState
from domain.reply_token import case_reference
from domain.request import CancellationRequest, missing_identifiers
from portal.api.auth import require_internal_key
from portal.api.problems import PROBLEM_RESPONSES, ProblemError, validation_problem
from portal.api.schemas import CaseOut
from portal.cases import is_case_id
from portal.context import Ctx, PortalContext

log = structlog.get_logger()

router = APIRouter(
    prefix="/api/v1/cases",
    tags=["intake"],
    dependencies=[Depends(require_internal_key)],
    responses=PROBLEM_RESPONSES,
)


def _not_found(case_id: str) -> ProblemError:
    return ProblemError(404, "Case not found", f"there is no case '{case_id}'")


async def _current_state(ctx: PortalContext, request: CancellationRequest) -> CaseState:
    try:
        return await case_state(ctx.client, request.case_id)
    except (RPCError, CaseNotFound):
        # A case that was started a moment ago may not answer queries before its first step.
        return CaseState(
            case_id=request.case_id,
            merchant_id=request.merchant_id,
            requested_at=request.requested_at or datetime.now(UTC),
        )


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
    try:
        state = await case_state(ctx.client, case_id)
    except CaseNotFound:
        # Past Temporal's retention the archive still knows how the case ended.
        archived = await ctx.history.archived_case(case_id)
        if archived is None:
            raise _not_found(case_id) from None
        state = archived.state
    return _out(state)


async def _case_action(
    case_id: str, action: Callable[[], Awaitable[CaseState]], event: str
) -> CaseOut:
    """Run one of the case's Updates; its refusal becomes a 409 problem with the reason."""
    if not is_case_id(case_id):
        raise _not_found(case_id)
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
        case_id, lambda: withdraw_case(ctx.client, case_id, withdrawal), "intake.case_withdrawn"
    )


@router.post(
    "/{case_id}/corrections",
    response_model=CaseOut,
    summary="Corrected customer details after 'no subscription found' (within 14 days)",
)
async def correct(case_id: str, correction: DetailsCorrection, ctx: Ctx) -> CaseOut:
    return await _case_action(
        case_id,
        lambda: correct_customer_details(ctx.client, case_id, correction),
        "intake.details_corrected",
    )
