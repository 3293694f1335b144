"""Every ops act on a case, each through cases/client.py (the one door) and so through the
case's own validator. A refusal comes back to the case page with the case's reason; the op
is named in the case history (responded_by for an answer, requested_by for the rest).
Erasure, which goes through the case's ErasureWorkflow, is in console/acts_erase.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from cases.client import (
    AnswerRejected,
    CaseNotFound,
    case_state,
    resend_request,
    snooze_case,
    submit_answer,
    withdraw_case,
)
from console.access import ActingOp
from console.answer_form import FIELD_NAMES, chosen_outcome, outcome_fields
from console.case_view import stored_replies
from console.context import context_of
from console.pages import flash
from console.session import Op
from domain.actions import ResendRequest, SnoozeRequest, WithdrawalRequest
from domain.answers import MerchantAnswer, parse_answer
from domain.common import Channel, describe_validation_error
from storage.erasures import ErasureStore

router = APIRouter(prefix="/cases/{case_id}")

_ANSWER_FIELDS = FIELD_NAMES
# Longer than any valid message, short enough that a pasted novel is not kept twice.
MAX_KEPT_CHARS = 8000


def back_to_case(case_id: str) -> Response:
    return RedirectResponse(f"/cases/{quote(case_id, safe='')}", status_code=303)


def refuse(request: Request, case_id: str, text: str) -> Response:
    """Back to the case page, which shows why the act was refused."""
    flash(request, "refused", text)
    return back_to_case(case_id)


def problems_in(err: ValidationError) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in describe_validation_error(err))


async def _email_source(
    request: Request, case_id: str, message_id: str, op: Op
) -> tuple[str, str, str] | str:
    """(channel, reference, responded_by) for an answer read in one of the case's replies, as
    `cases respond --from-email` records it; or the refusal."""
    state = await case_state(context_of(request).client, case_id)
    notice = next((r for r in state.email_replies if r.message_id == message_id), None)
    if notice is None:
        refusal: str = request.state.t("err_no_such_reply", message_id=message_id)
        return refusal
    return Channel.EMAIL.value, message_id, f"{notice.sender} (recorded by {op.actor})"


async def _record(request: Request, case_id: str, data: dict[str, Any]) -> Response:
    t = request.state.t
    try:
        answer: MerchantAnswer = parse_answer(data)
    except ValidationError as err:
        return refuse(request, case_id, t("refused_answer", reason=problems_in(err)))
    try:
        receipt = await submit_answer(context_of(request).client, case_id, answer)
    except CaseNotFound:
        flash(request, "refused", t("not_found_text", case=case_id))
    except AnswerRejected as err:
        flash(request, "refused", t("refused_answer", reason=str(err)))
    else:
        key = "done_answer" if receipt.recorded else "done_answer_again"
        flash(request, "done", t(key, outcome=t("outcome_" + receipt.answer.outcome.value)))
    return back_to_case(case_id)


@router.post("/answer")
async def record_answer(
    request: Request,
    case_id: str,
    op: ActingOp,
    choice: str = Form(""),
    reason: str = Form(""),
    from_reply: str = Form(""),
) -> Response:
    t = request.state.t
    outcome = chosen_outcome(choice, reason)
    if outcome is None:
        return refuse(request, case_id, t("refused_answer", reason=t("err_choose_outcome")))
    submitted = await request.form()
    values = {name: str(submitted.get(name) or "")[:MAX_KEPT_CHARS] for name in FIELD_NAMES}
    channel, reference, responded_by = Channel.OPS.value, None, op.actor
    if from_reply:
        source = await _email_source(request, case_id, from_reply, op)
        if isinstance(source, str):
            return refuse(request, case_id, source)
        channel, reference, responded_by = source
    data: dict[str, Any] = {
        "outcome": outcome.value,
        "answered_at": datetime.now(UTC),
        "channel": channel,
        "responded_by": responded_by,
    }
    if reference is not None:
        data["reference"] = reference
    data.update(outcome_fields(outcome, values))
    return await _record(request, case_id, data)


@router.post("/accept-suggestion")
async def accept_suggestion(
    request: Request, case_id: str, op: ActingOp, message_id: str = Form("")
) -> Response:
    """The reply reader's suggestion for one reply, recorded as the answer from that email."""
    replies = await stored_replies(context_of(request).pool, case_id)
    reply = next((r.reply for r in replies if r.reply.message_id == message_id), None)
    if reply is None or reply.suggestion is None:
        return refuse(request, case_id, request.state.t("err_no_suggestion"))
    source = await _email_source(request, case_id, message_id, op)
    if isinstance(source, str):
        return refuse(request, case_id, source)
    channel, reference, responded_by = source
    suggested = {k: v for k, v in reply.suggestion.items() if k in _ANSWER_FIELDS}
    data = {
        "outcome": reply.suggestion["outcome"],
        **suggested,
        "answered_at": datetime.now(UTC),
        "channel": channel,
        "responded_by": responded_by,
        "reference": reference,
    }
    return await _record(request, case_id, data)


async def _case_act(
    request: Request, case_id: str, done_key: str, act: Callable[[], Awaitable[object]]
) -> Response:
    t = request.state.t
    try:
        await act()
    except CaseNotFound:
        flash(request, "refused", t("not_found_text", case=case_id))
    except AnswerRejected as err:  # CaseActionRejected is one
        flash(request, "refused", t("refused_act", reason=str(err)))
    else:
        flash(request, "done", t(done_key))
    return back_to_case(case_id)


@router.post("/snooze")
async def snooze(
    request: Request, case_id: str, op: ActingOp, until: str = Form(""), reason: str = Form("")
) -> Response:
    t = request.state.t
    try:
        day = date.fromisoformat(until.strip())
        snooze_request = SnoozeRequest(until=day, reason=reason, requested_by=op.actor)
    except ValueError as err:
        why = problems_in(err) if isinstance(err, ValidationError) else t("err_date")
        return refuse(request, case_id, t("refused_act", reason=why))
    client = context_of(request).client
    return await _case_act(
        request, case_id, "done_snooze", lambda: snooze_case(client, case_id, snooze_request)
    )


@router.post("/withdraw")
async def withdraw(
    request: Request, case_id: str, op: ActingOp, reason: str = Form("")
) -> Response:
    try:
        withdrawal = WithdrawalRequest(
            requested_by=f"{op.actor} for the customer", reason=reason.strip() or None
        )
    except ValidationError as err:
        return refuse(request, case_id, request.state.t("refused_act", reason=problems_in(err)))
    client = context_of(request).client
    return await _case_act(
        request, case_id, "done_withdraw", lambda: withdraw_case(client, case_id, withdrawal)
    )


@router.post("/resend")
async def resend(request: Request, case_id: str, op: ActingOp, note: str = Form("")) -> Response:
    """The round's request to the merchant again; the chase keeps its dates."""
    t = request.state.t
    try:
        asked = ResendRequest(requested_by=op.actor, note=note.strip()[:MAX_KEPT_CHARS] or None)
    except ValidationError as err:
        return refuse(request, case_id, t("refused_act", reason=problems_in(err)))
    ctx = context_of(request)
    erased = await ErasureStore(ctx.pool).get(case_id)
    if erased is not None:
        # Its history can no longer be read once its key is gone: say why in plain words.
        on = erased.erased_at.date().isoformat()
        return refuse(request, case_id, t("refused_act", reason=t("err_erased", on=on)))
    return await _case_act(
        request, case_id, "done_resend", lambda: resend_request(ctx.client, case_id, asked)
    )
