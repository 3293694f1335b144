"""Sign-in by a link emailed to one of the merchant's contact addresses (one use, short-lived).

The link's GET only shows a button: mail scanners that open links must not use it up.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response

from domain.merchant import Merchant
from portal.context import Ctx
from portal.i18n import choose_locale
from portal.merchant_settings.deps import CSRF_PURPOSE, SESSION_COOKIE, SCtx, SettingsContext
from portal.merchant_settings.rendering import render, same_origin, signed_in, translator
from storage.merchant_sessions import LinkProblem, SignInRefused

log = structlog.get_logger("cancelflow.portal.merchant")

router = APIRouter(prefix="/merchant", include_in_schema=False)

_MAX_TOKEN_CHARS = 100


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    return render(request, "sign_in.html", translator(request), email="")


@router.post("/sign-in")
async def send_link(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    background: BackgroundTasks,
    email: str = Form("", max_length=320),
) -> Response:
    t = translator(request)
    address = email.strip()[:320]
    if not same_origin(request, ctx):
        return render(request, "sign_in.html", t, status=403, cross_site=True, email=address)
    if "@" not in address or any(c.isspace() for c in address):
        error = t("err_sign_in_address")
        return render(
            request, "sign_in.html", t, status=422, errors={"email": error}, email=address
        )
    # Everything that depends on whether the address is registered (the lookup, the rate
    # limit, the email) happens after the answer is sent: neither the page nor its timing
    # tells who is registered.
    background.add_task(_send_links_if_registered, sctx, ctx.settings.base_url, address)
    return render(request, "link_sent.html", t, email=address, minutes=sctx.link_minutes)


async def _send_links_if_registered(sctx: SettingsContext, base_url: str, email: str) -> None:
    """One link per merchant that has the address among its contacts (usually one)."""
    address = email.strip().lower()
    try:
        merchants = [
            m
            for m in await sctx.directory.list()
            if any(str(a).lower() == address for a in m.cancellation_emails)
        ]
    except Exception as err:  # noqa: BLE001 - the visitor has their page; ops get the log line
        log.error("merchant.sign_in_lookup_failed", error=repr(err))
        return
    for merchant in merchants:
        await _send_link(sctx, base_url, merchant, address)


async def _send_link(
    sctx: SettingsContext, base_url: str, merchant: Merchant, address: str
) -> None:
    try:
        token = await sctx.sessions.issue_link_within(
            sctx.config.sign_in_limits, merchant.merchant_id, address
        )
        if token is None:
            log.warning("merchant.sign_in_rate_limited", merchant_id=merchant.merchant_id)
            return
        link = f"{base_url}/merchant/sign-in/{token}"
        await sctx.config.mailer.send_sign_in_link(
            address, merchant.display_name, link, merchant.locale, sctx.link_minutes
        )
        log.info("merchant.sign_in_link_sent", merchant_id=merchant.merchant_id)
    except Exception as err:  # noqa: BLE001 - the visitor has their page; ops get the log line
        log.error("merchant.sign_in_link_failed", merchant_id=merchant.merchant_id, error=repr(err))


def _refused(request: Request, sctx: SCtx, problem: LinkProblem) -> Response:
    t = translator(request)
    return render(
        request,
        "link_refused.html",
        t,
        status=404 if problem is LinkProblem.UNKNOWN else 410,
        problem=problem.value,
        minutes=sctx.link_minutes,
    )


@router.get("/sign-in/{token}")
async def confirm(request: Request, sctx: SCtx, token: str) -> Response:
    try:
        if len(token) > _MAX_TOKEN_CHARS:
            raise SignInRefused(LinkProblem.UNKNOWN)
        who = await sctx.sessions.check_link(token)
    except SignInRefused as refused:
        return _refused(request, sctx, refused.problem)
    merchant = await sctx.directory.get(who.merchant_id)
    t = translator(request, merchant.locale if merchant else "en")
    return render(request, "confirm.html", t, email=who.email, token=token)


@router.post("/sign-in/{token}")
async def redeem(request: Request, ctx: Ctx, sctx: SCtx, token: str) -> Response:
    if not same_origin(request, ctx):
        # Login CSRF: another site must not sign the visitor into an account of its choosing.
        # The link is not used up, so the genuine holder can still press the button.
        log.warning("merchant.cross_origin_sign_in_refused")
        t = translator(request)
        return render(request, "sign_in.html", t, status=403, cross_site=True, email="")
    try:
        if len(token) > _MAX_TOKEN_CHARS:
            raise SignInRefused(LinkProblem.UNKNOWN)
        session, who = await sctx.sessions.redeem_link(token)
    except SignInRefused as refused:
        return _refused(request, sctx, refused.problem)
    log.info("merchant.signed_in", merchant_id=who.merchant_id)
    lang = request.query_params.get("lang")
    target = "/merchant/settings" + (f"?lang={lang}" if lang in ("en", "sv") else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.base_url.startswith("https://"),
        path="/merchant/",
        max_age=int(sctx.config.session_valid_for.total_seconds()),
    )
    return response


@router.post("/sign-out")
async def sign_out(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form("", max_length=200),
    lang: str = Form("", max_length=5),
) -> Response:
    current = await signed_in(request, sctx)
    language = choose_locale(lang, "en")
    # Another site must not sign the merchant out either: the form's token is required.
    if current is not None and (
        not same_origin(request, ctx) or not ctx.csrf.is_valid(current[0], CSRF_PURPOSE, csrf_token)
    ):
        return RedirectResponse(f"/merchant/settings?lang={language}", status_code=303)
    if current is not None:
        await sctx.sessions.end(current[0])
    response = RedirectResponse(f"/merchant/sign-in?lang={language}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/merchant/")
    return response
