"""The signed-in merchant's open requests: two lists (waiting for the answer; answered with a
follow-up pending), filtered and paged in PostgreSQL's read model so thousands fit, answered
many at once, and downloaded as a spreadsheet to fill in (uploading it is in batches.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from cases.client import (
    CaseListing,
    CaseNotFound,
    case_handle,
    case_state,
    original_request,
)
from domain.answers import parse_answer
from domain.bulk_answers import (
    DATE_COLUMNS,
    MAX_API_ITEMS,
    MAX_UPLOAD_BYTES,
    OUTCOME_COLUMNS,
    BatchSource,
    iso_date,
)
from domain.case import CaseState
from domain.common import Channel
from domain.merchant import Merchant
from domain.outcomes import OUTCOMES
from domain.reply_token import case_reference
from domain.request import Subscription, merchant_view
from portal.bulk_batches import Batches, accept_batch, checked_item, digest_of, now_in
from portal.context import Ctx, PortalContext
from portal.i18n import choose_locale
from portal.merchant_settings.bulk_words import BulkTranslator
from portal.merchant_settings.deps import CSRF_PURPOSE, SCtx
from portal.merchant_settings.pages import _Signed, _signed
from portal.merchant_settings.paging import AGES, VIEWS, list_query
from portal.merchant_settings.rendering import render, same_origin
from storage.bulk_answers import NewItem

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)

PAGE_PATH = "/merchant/settings/requests"
UPLOAD_PATH = "/merchant/settings/requests/upload"
# The file, and the form's own few fields around it.
LARGER_BODIES = {UPLOAD_PATH: MAX_UPLOAD_BYTES + 64 * 1024}
PAGE_SIZE = 50
# Case reads in flight at once for one page or one download.
READS_IN_FLIGHT = 16


@dataclass(frozen=True)
class RequestRow:
    case_id: str
    reference: str
    subscription: Subscription | None
    requested_at: datetime
    age_days: int
    state: CaseState
    next_step: str
    reply_url: str | None
    identifiers: dict[str, str]


def translator_for(request: Request, merchant: Merchant) -> BulkTranslator:
    return BulkTranslator(choose_locale(request.query_params.get("lang"), merchant.locale))


async def signed(request: Request, sctx: SCtx) -> tuple[_Signed, BulkTranslator] | Response:
    current = await _signed(request, sctx)
    if isinstance(current, Response):
        return current
    return current, translator_for(request, current.merchant)


async def listings(
    ctx: PortalContext,
    merchant: Merchant,
    view: str,
    age: int,
    before: datetime | None,
    limit: int | None,
) -> list[CaseListing]:
    """The view's open requests, newest first, from the read model (storage/case_list.py)."""
    return await ctx.case_list.open_cases(
        merchant.merchant_id,
        VIEWS[view],
        requested_by=datetime.now(UTC) - timedelta(days=age) if age else None,
        started_before=before,
        limit=limit,
    )


async def request_row(
    ctx: PortalContext, merchant: Merchant, t: BulkTranslator, case_id: str
) -> RequestRow | None:
    """One request as its merchant sees it; None if it closed or vanished meanwhile."""
    try:
        state, request = await asyncio.gather(
            case_state(ctx.client, case_id), original_request(case_handle(ctx.client, case_id))
        )
    except CaseNotFound:
        return None
    # The list lags its cases by a sync tick: a case closed since is not an open request.
    if state.merchant_id != merchant.merchant_id or not state.is_open:
        return None
    reply_url = None
    if state.answer is None:
        token = ctx.signer.issue(
            case_id, merchant.merchant_id, state.round, ctx.signer.expiry_for(state.requested_at)
        )
        reply_url = ctx.reply_url(token)
    return RequestRow(
        case_id=case_id,
        reference=case_reference(case_id),
        subscription=request.subscription if request else None,
        requested_at=state.requested_at.astimezone(ZoneInfo(merchant.timezone)),
        age_days=(datetime.now(UTC) - state.requested_at).days,
        state=state,
        next_step=t.next_step(state, merchant.timezone),
        reply_url=reply_url,
        identifiers={}
        if request is None
        else {line.name: line.value for line in merchant_view(request, merchant)},
    )


async def request_rows(
    ctx: PortalContext, merchant: Merchant, t: BulkTranslator, case_ids: list[str]
) -> list[RequestRow]:
    slots = asyncio.Semaphore(READS_IN_FLIGHT)

    async def one(case_id: str) -> RequestRow | None:
        async with slots:
            return await request_row(ctx, merchant, t, case_id)

    found = await asyncio.gather(*(one(c) for c in case_ids))
    return [r for r in found if r is not None]


async def requests_page(
    request: Request,
    ctx: PortalContext,
    signed_in: _Signed,
    t: BulkTranslator,
    batches: Batches,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    query = list_query(request.query_params)
    view, age, before = query.view, query.age, query.before
    merchant = signed_in.merchant
    found = await listings(ctx, merchant, view, age, before, PAGE_SIZE + 1)
    page = found[:PAGE_SIZE]
    rows = await request_rows(ctx, merchant, t, [c.case_id for c in page])
    next_before = page[-1].started_at.isoformat() if len(found) > PAGE_SIZE else None
    return render(
        request,
        "requests.html",
        t,
        status=status,
        path=PAGE_PATH,
        merchant=merchant,
        who=signed_in.who,
        view=view,
        views=tuple(VIEWS),
        age=age,
        ages=AGES,
        rows=rows,
        next_before=next_before,
        paged=before is not None,
        outcomes=tuple(OUTCOME_COLUMNS),
        # The guide's grouping: 'could not be cancelled: binding contract' and the like.
        outcome_groups={
            spec.outcome.value: spec.group.value if spec.group else None
            for spec in OUTCOMES.values()
        },
        errors=errors or {},
        form=form or {},
        max_items=MAX_API_ITEMS,
        max_rows=10_000,
        recent=await batches.recent(merchant.merchant_id, limit=5),
        csrf_token=ctx.csrf.form_token(signed_in.session, CSRF_PURPOSE),
    )


@router.get("/requests")
async def open_requests(request: Request, ctx: Ctx, sctx: SCtx, batches: Batches) -> Response:
    current = await signed(request, sctx)
    if isinstance(current, Response):
        return current
    return await requests_page(request, ctx, *current, batches)


def form_allowed(request: Request, ctx: PortalContext, signed_in: _Signed, csrf_token: str) -> bool:
    """A POST from the portal's own page (Origin or Referer) with this session's form token,
    as every settings form requires."""
    return same_origin(request, ctx) and ctx.csrf.is_valid(
        signed_in.session, CSRF_PURPOSE, csrf_token
    )


async def signed_form(
    request: Request, ctx: PortalContext, sctx: SCtx, batches: Batches, csrf_token: str
) -> tuple[_Signed, BulkTranslator] | Response:
    """The merchant posting one of the open-requests forms, or the answer that refuses the
    post: the sign-in redirect, or the open requests (403) for a foreign or expired form."""
    current = await signed(request, sctx)
    if isinstance(current, Response):
        return current
    signed_in, t = current
    if not form_allowed(request, ctx, signed_in, csrf_token):
        return await requests_page(
            request, ctx, signed_in, t, batches, status=403, errors={"form": t("err_form_expired")}
        )
    return current


async def accepted(
    ctx: PortalContext,
    batches: Batches,
    signed_in: _Signed,
    t: BulkTranslator,
    *,
    source: BatchSource,
    responded_by: str,
    answered_at: datetime,
    items: list[NewItem],
    digest: str,
    idempotency_key: str | None = None,
    blank_rows: int = 0,
) -> Response:
    """Stores the merchant's batch from the portal and starts its job; the answer is its page."""
    merchant = signed_in.merchant
    batch, _ = await accept_batch(
        ctx,
        batches,
        merchant_id=merchant.merchant_id,
        timezone=merchant.timezone,
        source=source,
        channel=Channel.PORTAL,
        responded_by=responded_by,
        answered_at=answered_at,
        items=items,
        digest=digest,
        idempotency_key=idempotency_key,
        blank_rows=blank_rows,
    )
    return RedirectResponse(f"/merchant/settings/batches/{batch.batch_id}?lang={t.locale}", 303)


def answer_fields(
    outcome: str, day: str, message: str, t: BulkTranslator
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The one answer the form gives every selected request, or the form's errors."""
    if outcome not in OUTCOME_COLUMNS:
        return None, {"outcome": t("err_outcome")}
    fields: dict[str, Any] = {"outcome": outcome}
    errors: dict[str, str] = {}
    for column in OUTCOME_COLUMNS[outcome]:
        if column in DATE_COLUMNS:
            parsed = iso_date(day.strip())
            if parsed is None:
                errors["date"] = t("err_date")
            else:
                fields[column] = parsed.isoformat()
        elif column == "message":
            if not message.strip():
                errors["message"] = t("err_message")
            fields[column] = message
    return (None if errors else fields), errors


@router.post("/requests/answer")
async def answer_selected(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    batches: Batches,
    csrf_token: str = Form(""),
    case_id: Annotated[list[str] | None, Form()] = None,
    outcome: str = Form("", max_length=40),
    date: str = Form("", max_length=40),
    message: str = Form("", max_length=4000),
) -> Response:
    current = await signed_form(request, ctx, sctx, batches, csrf_token)
    if isinstance(current, Response):
        return current
    signed_in, t = current
    selected = list(dict.fromkeys(c.strip() for c in case_id or [] if c.strip()))
    fields, errors = answer_fields(outcome, date, message, t)
    if not selected:
        errors["case_id"] = t("err_none_selected")
    elif len(selected) > MAX_API_ITEMS:
        errors["case_id"] = t("err_too_many", limit=MAX_API_ITEMS)
    merchant = signed_in.merchant
    answered_at = now_in(merchant.timezone)
    responded_by = f"merchant portal ({signed_in.who.email})"
    if fields is not None and not errors:
        try:
            parse_answer(
                {
                    **fields,
                    "answered_at": answered_at,
                    "channel": Channel.PORTAL,
                    "responded_by": responded_by,
                }
            )
        except ValidationError as err:
            key = "message" if fields["outcome"] == "other_reason" else "date"
            errors[key] = t.problem(_invalid(err))
    if errors or fields is None:
        form = {"case_ids": selected, "outcome": outcome, "date": date, "message": message}
        return await requests_page(
            request, ctx, signed_in, t, batches, status=422, errors=errors, form=form
        )
    items = [checked_item(c, fields, answered_at, Channel.PORTAL, responded_by) for c in selected]
    return await accepted(
        ctx,
        batches,
        signed_in,
        t,
        source=BatchSource.PORTAL,
        responded_by=responded_by,
        answered_at=answered_at,
        items=items,
        digest=digest_of([selected, fields]),
        # The same form sent twice in a session (a double click, a resubmitted page) is one
        # batch, not two.
        idempotency_key="portal:" + digest_of([signed_in.session, selected, fields]),
    )


def _invalid(err: ValidationError) -> Any:
    from domain.bulk_answers import invalid_problem
    from domain.common import describe_validation_error

    return invalid_problem(describe_validation_error(err))
