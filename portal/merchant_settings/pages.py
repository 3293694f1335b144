"""The signed-in merchant's settings page and the forms on it.

Every change is recorded (who: the signed-in address; when; what) and applies to cases
started from now on: a case keeps the merchant as it loaded it.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from domain.customer import StandardIdentifier
from domain.merchant import Merchant, NotifyBy
from domain.webhooks import ALL_EVENT_TYPES
from portal.context import Ctx, PortalContext
from portal.merchant_settings.change_log import change_lines
from portal.merchant_settings.deps import CSRF_PURPOSE, SCtx, SettingsContext
from portal.merchant_settings.forms import (
    TIME_ZONES,
    changed_fields,
    extras_of,
    read_profile,
)
from portal.merchant_settings.i18n import SettingsTranslator
from portal.merchant_settings.rendering import render, same_origin, signed_in, translator
from storage.merchant_sessions import SignedIn

log = structlog.get_logger("cancelflow.portal.merchant")

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)


class _Signed:
    """The request's session, merchant and translator, or the redirect to sign in."""

    def __init__(self, session: str, who: SignedIn, merchant: Merchant, t: SettingsTranslator):
        self.session, self.who, self.merchant, self.t = session, who, merchant, t


async def _signed(request: Request, sctx: SettingsContext) -> _Signed | Response:
    current = await signed_in(request, sctx)
    merchant = None if current is None else await sctx.directory.get(current[1].merchant_id)
    if current is None or merchant is None:
        return RedirectResponse("/merchant/sign-in", status_code=303)
    return _Signed(current[0], current[1], merchant, translator(request, merchant.locale))


def _csrf_ok(ctx: PortalContext, signed: _Signed, submitted: str) -> bool:
    return ctx.csrf.is_valid(signed.session, CSRF_PURPOSE, submitted)


def confirm_page(
    request: Request,
    ctx: PortalContext,
    signed: _Signed,
    *,
    title: str,
    text: str,
    action: str,
    button: str,
    back: str,
) -> Response:
    """The question before an action that cannot be undone; its Yes posts the form again."""
    return render(
        request,
        "confirm_action.html",
        signed.t,
        path="/merchant/settings",
        title=title,
        text=text,
        action=action,
        button=button,
        back=f"/merchant/settings?lang={signed.t.locale}{back}",
        csrf_token=ctx.csrf.form_token(signed.session, CSRF_PURPOSE),
    )


async def render_settings(
    request: Request,
    ctx: PortalContext,
    sctx: SettingsContext,
    signed: _Signed,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    webhook_form: dict[str, Any] | None = None,
    **notices: Any,
) -> Response:
    merchant = signed.merchant
    return render(
        request,
        "settings.html",
        signed.t,
        status=status,
        path="/merchant/settings",
        merchant=merchant,
        who=signed.who,
        errors=errors or {},
        form=form
        or {
            "identifiers": merchant.required_identifiers,
            "extra_identifiers": extras_of(merchant),
            "contacts": "\n".join(str(a) for a in merchant.cancellation_emails),
            "locale": merchant.locale,
            "timezone": merchant.timezone,
            "notify_by": merchant.notify_by.value,
        },
        webhook_form=webhook_form or {"url": "", "events": ALL_EVENT_TYPES},
        time_zones=TIME_ZONES,
        standard_identifiers=[i.value for i in StandardIdentifier],
        notify_choices=[n.value for n in NotifyBy],
        event_types=ALL_EVENT_TYPES,
        endpoints=await sctx.endpoints.list(merchant.merchant_id),
        keys=await ctx.api_keys.list(merchant.merchant_id),
        changes=change_lines(
            await sctx.changes.list(merchant.merchant_id, limit=20), signed.t, merchant.timezone
        ),
        csrf_token=ctx.csrf.form_token(signed.session, CSRF_PURPOSE),
        notices=notices,
    )


@router.get("")
async def settings_page(request: Request, ctx: Ctx, sctx: SCtx) -> Response:
    signed = await _signed(request, sctx)
    if isinstance(signed, Response):
        return signed
    return await render_settings(request, ctx, sctx, signed)


async def guarded(
    request: Request, ctx: PortalContext, sctx: SettingsContext, csrf_token: str
) -> _Signed | Response:
    signed = await _signed(request, sctx)
    if isinstance(signed, Response):
        return signed
    if not same_origin(request, ctx):
        log.warning("merchant.cross_origin_post_refused", merchant_id=signed.merchant.merchant_id)
        return await render_settings(request, ctx, sctx, signed, status=403, cross_site=True)
    if not _csrf_ok(ctx, signed, csrf_token):
        return await render_settings(request, ctx, sctx, signed, status=403, form_expired=True)
    return signed


@router.post("/profile")
async def save_profile(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    identifier: Annotated[list[str] | None, Form()] = None,
    extra_identifiers: str = Form("", max_length=1000),
    contacts: str = Form("", max_length=4000),
    locale: str = Form("en", max_length=5),
    timezone: str = Form("", max_length=64),
    notify_by: str = Form("email", max_length=32),
) -> Response:
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    identifier = identifier or []
    updated, errors = read_profile(
        signed.merchant,
        identifier,
        extra_identifiers,
        contacts,
        locale,
        timezone,
        notify_by,
        signed.t,
    )
    if updated is None:
        form = {
            "identifiers": identifier,
            "extra_identifiers": extra_identifiers,
            "contacts": contacts,
            "locale": locale,
            "timezone": timezone,
            "notify_by": notify_by,
        }
        return await render_settings(
            request, ctx, sctx, signed, status=422, errors=errors, form=form
        )
    changes = changed_fields(signed.merchant, updated)
    signed.t = translator(request, updated.locale)
    return await save_settings(request, ctx, sctx, signed, updated, changes)


async def save_settings(
    request: Request,
    ctx: PortalContext,
    sctx: SettingsContext,
    signed: _Signed,
    updated: Merchant,
    changes: dict[str, Any],
) -> Response:
    """Stores and logs the changed settings (none: nothing is written) and shows the page
    saying which it was; cases started from now on load the merchant as saved."""
    if changes:
        await sctx.directory.upsert(updated)
        await sctx.changes.record(
            updated.merchant_id, signed.who.email, "settings.changed", changes
        )
        log.info("merchant.settings_changed", merchant_id=updated.merchant_id, fields=list(changes))
    signed.merchant = updated
    return await render_settings(
        request, ctx, sctx, signed, saved=bool(changes), unchanged=not changes
    )
