"""Merchant integrations: list my cases awaiting an answer, read one, answer one.

A case of another merchant is answered exactly like a case that does not exist (404).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Query
from pydantic import ValidationError

from cases import client as case_client
from cases.client import AnswerRejected, CaseNotFound, submit_answer
from domain.answers import parse_answer
from domain.case import FINAL_STATUSES, OPEN_STATUSES, CaseState, CaseStatus
from domain.common import Channel, describe_validation_error
from domain.customer_outcome import customer_outcome_for
from domain.erasure import erased_marker
from domain.reply_token import case_reference
from domain.request import Subscription
from portal.api.auth import MerchantIdentity, MerchantKeyHolder
from portal.api.problems import PROBLEM_RESPONSES, ProblemError, validation_problem
from portal.api.schemas import (
    AnswerBody,
    AnswerOut,
    MerchantCaseList,
    MerchantCaseOut,
    MerchantCaseSummary,
)
from portal.cases import MerchantCase, is_case_id, load_merchant_case, owns_live_case
from portal.context import Ctx, PortalContext
from storage.erasures import ErasureRecord

log = structlog.get_logger()

router = APIRouter(prefix="/api/v1/merchant", tags=["merchant"], responses=PROBLEM_RESPONSES)

AWAITING_STATUSES = (CaseStatus.AWAITING, CaseStatus.REMINDED, CaseStatus.ESCALATED)
_STATUS_GROUPS: dict[str, tuple[CaseStatus, ...]] = {
    "awaiting": AWAITING_STATUSES,
    "open": tuple(sorted(OPEN_STATUSES)),
    "closed": tuple(sorted(FINAL_STATUSES)),
}


def _not_found(case_id: str) -> ProblemError:
    # The same words whether the case is unknown or another merchant's.
    return ProblemError(404, "Case not found", f"you have no case '{case_id}'")


async def _my_case(ctx: PortalContext, merchant_id: str, case_id: str) -> MerchantCase:
    if not is_case_id(case_id):
        raise _not_found(case_id)
    case = await load_merchant_case(ctx, case_id, merchant_id)
    if case is None:
        raise _not_found(case_id)
    return case


async def _erased_case(
    ctx: PortalContext, merchant_id: str, case_id: str
) -> MerchantCaseOut | None:
    """An erased case (issue 20) as it closed, without the customer's identifiers."""
    if not is_case_id(case_id):
        return None
    record = await ctx.archive.erasures.get(case_id)
    if record is None:
        return None
    state = _erased_state(record, merchant_id)
    if state is None:
        return None
    subscription = record.remains.get("subscription") or {
        "name": erased_marker(record.erased_at.date())
    }
    return MerchantCaseOut(
        case_id=state.case_id,
        reference=case_reference(state.case_id),
        status=state.status,
        requested_at=state.requested_at,
        subscription=Subscription.model_validate(subscription),
        customer=[],
        answer=state.answer,
    )


def _erased_state(record: ErasureRecord, merchant_id: str) -> CaseState | None:
    """The erased case's state as it closed; None when the record keeps none; 404 when it
    was another merchant's."""
    if record.remains.get("state") is None:
        return None
    state = CaseState.model_validate(record.remains["state"])
    if state.merchant_id != merchant_id:
        raise _not_found(case_id=state.case_id)
    return state


@router.get("/cases", response_model=MerchantCaseList, summary="List my cases")
async def list_cases(
    merchant_id: MerchantIdentity,
    ctx: Ctx,
    status: Annotated[
        Literal["awaiting", "open", "closed"],
        Query(
            description="awaiting: waiting for your answer (default); open; closed. The open "
            "lists follow the cases within about a second."
        ),
    ] = "awaiting",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MerchantCaseList:
    statuses = _STATUS_GROUPS[status]
    cases: dict[str, MerchantCaseSummary] = {}
    if status == "closed":
        found = [
            c
            async for c in case_client.list_cases(
                ctx.client, statuses=statuses, merchant_id=merchant_id, limit=limit
            )
        ]
    else:
        # Open cases come from the read model: a page costs no visibility query.
        found = await ctx.case_list.open_cases(merchant_id, statuses, limit=limit)
    for case in found:
        cases[case.case_id] = _summary(
            case.case_id, case.status or CaseStatus.STARTING, case.requested_at or case.started_at
        )
    if status == "closed":
        # Temporal's retention deletes closed cases; the archive still lists them.
        for archived in await ctx.archive.closed_cases_of_merchant(merchant_id, statuses, limit):
            cases.setdefault(
                archived.case_id,
                _summary(archived.case_id, archived.final_status, archived.requested_at),
            )
    newest = sorted(cases.values(), key=lambda c: c.requested_at, reverse=True)[:limit]
    return MerchantCaseList(cases=sorted(newest, key=lambda c: c.requested_at))


def _summary(case_id: str, status: str, requested_at: datetime) -> MerchantCaseSummary:
    return MerchantCaseSummary(
        case_id=case_id,
        reference=case_reference(case_id),
        status=CaseStatus(status),
        requested_at=requested_at,
    )


@router.get("/cases/{case_id}", response_model=MerchantCaseOut, summary="Read one of my cases")
async def read_case(
    case_id: str,
    merchant_id: MerchantIdentity,
    ctx: Ctx,
) -> MerchantCaseOut:
    erased = await _erased_case(ctx, merchant_id, case_id)
    if erased is not None:
        return erased
    case = await _my_case(ctx, merchant_id, case_id)
    state = case.state
    reply_url = None
    if state.is_open and state.answer is None:
        token = ctx.signer.issue(
            state.case_id, merchant_id, state.round, ctx.signer.expiry_for(state.requested_at)
        )
        reply_url = ctx.reply_url(token)
    return MerchantCaseOut(
        case_id=state.case_id,
        reference=case.reference,
        status=state.status,
        requested_at=state.requested_at,
        subscription=case.request.subscription,
        customer=case.identifiers,
        answer=state.answer,
        reply_url=reply_url,
    )


@router.post(
    "/cases/{case_id}/answer",
    response_model=AnswerOut,
    summary="Answer one of my cases",
    description="Records one of the five outcomes. Sending the recorded answer again is "
    "harmless (recorded=false); a different answer after one was recorded is refused (409).",
)
async def answer_case(
    case_id: str,
    body: AnswerBody,
    holder: MerchantKeyHolder,
    ctx: Ctx,
) -> AnswerOut:
    # Ownership first, by a lookup that costs the same for another merchant's case and for
    # no case (issue 16 #1): the Update's validator would refuse another merchant's case too,
    # but only after a round trip to the worker that an unknown id never makes. Then the
    # Update, whose validator says whether the case takes answers.
    if not is_case_id(case_id):
        raise _not_found(case_id)
    # Both reads side by side (issue 23): each costs the same for any id, and neither result
    # is shown unless ownership holds.
    owned, erased = await asyncio.gather(
        owns_live_case(ctx, case_id, holder.merchant_id),
        ctx.archive.erasures.get(case_id),
    )
    if not owned:
        raise _not_found(case_id)
    if erased is not None and _erased_state(erased, holder.merchant_id) is not None:
        raise ProblemError(409, "Answer not recorded", f"case '{case_id}' was erased")
    data = body.model_dump(exclude={"responded_by"})
    data.update(
        answered_at=datetime.now(ZoneInfo(holder.timezone)),
        channel=Channel.API,
        responded_by=body.responded_by or f"merchant API ({holder.display_name})"[:200],
    )
    try:
        answer = parse_answer(data)
    except ValidationError as err:
        raise validation_problem(describe_validation_error(err)) from None
    try:
        receipt = await submit_answer(ctx.client, case_id, answer, holder.merchant_id)
    except CaseNotFound:
        raise _not_found(case_id) from None
    except AnswerRejected as rejection:
        raise ProblemError(409, "Answer not recorded", str(rejection)) from None
    log.info(
        "api.answer",
        case_id=receipt.case_id,
        outcome=answer.outcome.value,
        recorded=receipt.recorded,
    )
    return AnswerOut(
        case_id=receipt.case_id,
        recorded=receipt.recorded,
        answer=receipt.answer,
        status=receipt.status,
        customer_outcome=customer_outcome_for(receipt.answer),
    )
