"""The reply link pages: GET shows the request and the outcome choices, POST records the answer."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.routing import NoMatchFound

from cases.client import AnswerRejected, CaseNotFound, submit_answer
from domain.answers import OTHER_REASON_MAX_CHARS, MerchantAnswer
from domain.follow_up import new_round_day
from domain.outcomes import effective_date
from domain.reply_token import ExpiredReplyToken, InvalidReplyToken, ReplyGrant
from portal import csrf
from portal.cases import MerchantCase, load_merchant_case, refresh
from portal.context import Ctx, PortalContext
from portal.i18n import LANGUAGE_NAMES, Translator, choose_locale
from portal.reply_form import (
    AGENT_NAME_MAX_CHARS,
    COULD_NOT_BE_CANCELLED,
    TICKET_MAX_CHARS,
    ReplyForm,
    form_from_answer,
    read_answer,
    responded_by_for,
)

log = structlog.get_logger()

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)

# Genuine tokens are about 100 characters; anything far longer is not worth decrypting.
_MAX_TOKEN_CHARS = 512


def _translator(requested: str | None, fallback: str) -> Translator:
    return Translator(choose_locale(requested, fallback))


def language_link_path(request: Request) -> str:
    """The path the language links point at: the matched route's own path, rebuilt from its
    name and parameters, or none (a query-only link) when no route matched. Never the raw
    request path: '//evil.example/x' would make the link leave the site."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    if not isinstance(name, str):
        return ""
    try:
        path = str(request.app.url_path_for(name, **request.path_params))
    except NoMatchFound:
        return ""
    return path if path.startswith("/") and not path.startswith("//") else ""


def _render(
    request: Request, name: str, t: Translator, status: int = 200, **values: Any
) -> Response:
    context = {
        "t": t,
        "lang": t.locale,
        "languages": LANGUAGE_NAMES,
        "path": language_link_path(request),
        **values,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def _link_error(
    request: Request, ctx: PortalContext, t: Translator, expired_on: datetime | None = None
) -> Response:
    return _render(
        request,
        "link_error.html",
        t,
        status=410 if expired_on else 404,
        expired_on=expired_on.date() if expired_on else None,
        support=ctx.support_address,
    )


async def _open(
    request: Request, ctx: PortalContext, token: str, lang: str | None
) -> tuple[ReplyGrant, MerchantCase] | Response:
    """The case behind a reply token, or the error page to show instead."""
    try:
        if len(token) > _MAX_TOKEN_CHARS:
            raise InvalidReplyToken("too long")
        grant = ctx.signer.verify(token)
    except ExpiredReplyToken as err:
        merchant = await ctx.merchants.get(err.grant.merchant_id)
        t = _translator(lang, merchant.locale if merchant else "en")
        return _link_error(request, ctx, t, expired_on=err.grant.expires_at)
    except InvalidReplyToken:
        return _link_error(request, ctx, _translator(lang, "en"))
    if await ctx.archive.erasures.get(grant.case_id) is not None:
        # Erased (issue 20): nothing of the request is left to show or answer.
        merchant = await ctx.merchants.get(grant.merchant_id)
        t = _translator(lang, merchant.locale if merchant else "en")
        return _render(
            request, "link_error.html", t, status=410, erased=True, support=ctx.support_address
        )
    case = await load_merchant_case(ctx, grant.case_id, grant.merchant_id)
    if case is None or grant.round > case.state.round:
        return _link_error(request, ctx, _translator(lang, "en"))
    if grant.round < case.state.round:
        # A new round (corrected details, a binding contract that ended) sent a new email
        # with its own link; an answer through the old one could describe the old request.
        t = _translator(lang, case.merchant.locale)
        return _render(
            request,
            "link_error.html",
            t,
            status=410,
            stale=True,
            expired_on=None,
            support=ctx.support_address,
        )
    return grant, case


def _form_page(
    request: Request,
    ctx: PortalContext,
    t: Translator,
    token: str,
    case: MerchantCase,
    form: ReplyForm,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    nonce = ctx.csrf.usable_nonce(request.cookies.get(csrf.COOKIE_NAME)) or ctx.csrf.new_nonce()
    response = _render(
        request,
        "reply_form.html",
        t,
        status=status,
        case=case,
        form=form,
        errors=errors or {},
        notice=notice,
        csrf_field=csrf.FIELD_NAME,
        csrf_token=ctx.csrf.form_token(nonce, token),
        could_not=COULD_NOT_BE_CANCELLED,
        today=_merchant_now(case).date().isoformat(),
        message_limit=OTHER_REASON_MAX_CHARS,
        agent_limit=AGENT_NAME_MAX_CHARS,
        ticket_limit=TICKET_MAX_CHARS,
    )
    response.set_cookie(
        csrf.COOKIE_NAME,
        nonce,
        httponly=True,
        # Lax, not Strict: the merchant arrives from a webmail on another site, and the
        # cookie must survive that navigation; cross-site POSTs still go without it.
        samesite="lax",
        secure=ctx.settings.base_url.startswith("https://"),
        path="/r/",
    )
    return response


def _recorded_page(
    request: Request,
    ctx: PortalContext,
    t: Translator,
    case: MerchantCase,
    answer: MerchantAnswer,
    heading: str,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    zone = ZoneInfo(case.merchant.timezone)
    return _render(
        request,
        "answer_recorded.html",
        t,
        status=status,
        case=case,
        answer=answer,
        form=form_from_answer(answer),
        recorded_on=answer.answered_at.astimezone(zone).date(),
        next_step=_next_step(t, case, answer),
        heading=heading,
        refusal=refusal,
        support=ctx.support_address,
    )


def _next_step(t: Translator, case: MerchantCase, answer: MerchantAnswer) -> str:
    """What happens now that this answer is recorded, in the merchant's words and calendar."""
    # A new round's day when one follows (binding contract), else the answer's own date.
    day: date | None = new_round_day(answer, case.merchant) or effective_date(answer)
    key = f"next_{answer.outcome.value}"
    return t(key, date=t.date(day)) if day is not None else t(key)


@router.get("/")
async def landing(request: Request, ctx: Ctx, lang: str | None = None) -> Response:
    """Where someone who typed the portal's address lands: what it is for, and the way in."""
    t = _translator(lang, "en")
    return _render(
        request,
        "home.html",
        t,
        support=ctx.support_address,
        settings_enabled=hasattr(request.app.state, "merchant_settings"),
    )


def _merchant_now(case: MerchantCase) -> datetime:
    return datetime.now(ZoneInfo(case.merchant.timezone))


@router.get("/r/{token}")
async def reply_page(
    token: str,
    request: Request,
    ctx: Ctx,
    lang: str | None = None,
    sent: str | None = None,
) -> Response:
    opened = await _open(request, ctx, token, lang)
    if isinstance(opened, Response):
        return opened
    _, case = opened
    t = _translator(lang, case.merchant.locale)
    if case.state.answer is not None:
        heading = "recorded_heading" if sent else "already_recorded_heading"
        return _recorded_page(request, ctx, t, case, case.state.answer, t(heading))
    if not case.state.is_open:
        return _render(
            request, "closed.html", t, status=410, case=case, support=ctx.support_address
        )
    return _form_page(request, ctx, t, token, case, ReplyForm())


@router.post("/r/{token}")
async def reply_submit(token: str, request: Request, ctx: Ctx) -> Response:
    submitted = await request.form()
    lang_value = submitted.get("lang")
    lang = lang_value if isinstance(lang_value, str) else None
    opened = await _open(request, ctx, token, lang)
    if isinstance(opened, Response):
        return opened
    _, case = opened
    t = _translator(lang, case.merchant.locale)
    form = ReplyForm.from_submission(submitted)

    csrf_value = submitted.get(csrf.FIELD_NAME)
    same_origin = csrf.is_same_origin(
        request.headers.get("origin"), request.headers.get("referer"), ctx.settings.base_url
    )
    if not same_origin:
        log.warning("portal.cross_origin_post_refused", case_id=case.state.case_id)
    if not same_origin or not ctx.csrf.is_valid(
        request.cookies.get(csrf.COOKIE_NAME),
        token,
        csrf_value if isinstance(csrf_value, str) else None,
    ):
        return _form_page(
            request, ctx, t, token, case, form, notice=t("err_form_expired"), status=403
        )

    verdict = read_answer(
        form,
        answered_at=_merchant_now(case),
        responded_by=responded_by_for(form, case.merchant.display_name),
        t=t,
    )
    if verdict.answer is None:
        return _form_page(request, ctx, t, token, case, form, errors=verdict.errors, status=422)

    try:
        await submit_answer(ctx.client, case.state.case_id, verdict.answer)
    except CaseNotFound:
        if case.archived:
            # Temporal no longer holds it: it takes no answer; show how it ended instead.
            return await _refused(request, ctx, t, token, case, form, "")
        return _link_error(request, ctx, t)
    except AnswerRejected as rejection:
        return await _refused(request, ctx, t, token, case, form, str(rejection))
    log.info(
        "portal.answer_recorded", case_id=case.state.case_id, outcome=verdict.answer.outcome.value
    )
    # Post/Redirect/Get: reloading the confirmation never resubmits the form.
    return RedirectResponse(f"/r/{token}?sent=1&lang={t.locale}", status_code=303)


async def _refused(
    request: Request,
    ctx: PortalContext,
    t: Translator,
    token: str,
    case: MerchantCase,
    form: ReplyForm,
    reason: str,
) -> Response:
    case = await refresh(ctx, case)
    recorded = case.state.answer
    if recorded is not None:
        zone = ZoneInfo(case.merchant.timezone)
        refusal = t(
            "refused_different",
            date=t.date(recorded.answered_at.astimezone(zone).date()),
            channel=t(f"channel_{recorded.channel.value}"),
            support=ctx.support_address,
        )
        return _recorded_page(
            request, ctx, t, case, recorded, t("refused_heading"), refusal=refusal, status=409
        )
    if not case.state.is_open:
        return _render(
            request,
            "closed.html",
            t,
            status=409,
            case=case,
            support=ctx.support_address,
            refused=True,
        )
    log.warning("portal.answer_refused", case_id=case.state.case_id, reason=reason)
    return _form_page(
        request, ctx, t, token, case, form, notice=t("refused_other", reason=reason), status=409
    )
