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
from domain.webhooks import (
    ALL_EVENT_TYPES,
    InvalidEndpointUrl,
    parse_event_types,
    validate_endpoint_url,
)
from integrations.webhooks import post_test_event
from portal.context import Ctx, PortalContext
from portal.merchant_settings.deps import CSRF_PURPOSE, SCtx, SettingsContext
from portal.merchant_settings.forms import changed_fields, extras_of, read_profile
from portal.merchant_settings.i18n import SettingsTranslator
from portal.merchant_settings.rendering import render, signed_in, translator
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


async def _page(
    request: Request,
    ctx: PortalContext,
    sctx: SettingsContext,
    signed: _Signed,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
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
        standard_identifiers=[i.value for i in StandardIdentifier],
        notify_choices=[n.value for n in NotifyBy],
        event_types=ALL_EVENT_TYPES,
        endpoints=await sctx.endpoints.list(merchant.merchant_id),
        keys=await ctx.api_keys.list(merchant.merchant_id),
        changes=await sctx.changes.list(merchant.merchant_id, limit=20),
        csrf_token=ctx.csrf.form_token(signed.session, CSRF_PURPOSE),
        notices=notices,
    )


@router.get("")
async def settings_page(request: Request, ctx: Ctx, sctx: SCtx) -> Response:
    signed = await _signed(request, sctx)
    if isinstance(signed, Response):
        return signed
    return await _page(request, ctx, sctx, signed)


async def _guarded(
    request: Request, ctx: PortalContext, sctx: SettingsContext, csrf_token: str
) -> _Signed | Response:
    signed = await _signed(request, sctx)
    if isinstance(signed, Response):
        return signed
    if not _csrf_ok(ctx, signed, csrf_token):
        return await _page(request, ctx, sctx, signed, status=403, form_expired=True)
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
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    identifier = identifier or []
    updated, errors = read_profile(
        signed.merchant, identifier, extra_identifiers, contacts, locale, timezone, notify_by
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
        return await _page(request, ctx, sctx, signed, status=422, errors=errors, form=form)
    changes = changed_fields(signed.merchant, updated)
    if changes:
        await sctx.directory.upsert(updated)
        await sctx.changes.record(
            updated.merchant_id, signed.who.email, "settings.changed", changes
        )
        log.info("merchant.settings_changed", merchant_id=updated.merchant_id, fields=list(changes))
    signed.merchant = updated
    signed.t = translator(request, updated.locale)
    return await _page(request, ctx, sctx, signed, saved=bool(changes), unchanged=not changes)


@router.post("/webhooks")
async def add_webhook(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    url: str = Form("", max_length=2000),
    event: Annotated[list[str] | None, Form()] = None,
) -> Response:
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    try:
        checked = validate_endpoint_url(url, sctx.config.webhooks.allow_insecure_localhost)
        events = parse_event_types(event or [])
    except (InvalidEndpointUrl, ValueError) as err:
        return await _page(request, ctx, sctx, signed, status=422, errors={"url": str(err)})
    created = await sctx.endpoints.add(
        signed.merchant.merchant_id, checked, events, created_by=signed.who.email
    )
    await sctx.changes.record(
        signed.merchant.merchant_id,
        signed.who.email,
        "webhook.added",
        {"endpoint_id": created.endpoint.endpoint_id, "url": checked, "events": events},
    )
    return await _page(
        request, ctx, sctx, signed, new_secret=created.secret, new_endpoint=created.endpoint
    )


@router.post("/webhooks/{endpoint_id}/remove")
async def remove_webhook(
    request: Request, ctx: Ctx, sctx: SCtx, endpoint_id: str, csrf_token: str = Form("")
) -> Response:
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    removed = await sctx.endpoints.disable(endpoint_id, signed.merchant.merchant_id)
    if removed is not None:
        await sctx.changes.record(
            signed.merchant.merchant_id,
            signed.who.email,
            "webhook.removed",
            {"endpoint_id": endpoint_id},
        )
    return await _page(request, ctx, sctx, signed, saved=removed is not None)


@router.post("/webhooks/{endpoint_id}/test")
async def test_webhook(
    request: Request, ctx: Ctx, sctx: SCtx, endpoint_id: str, csrf_token: str = Form("")
) -> Response:
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    live = {
        e.endpoint.endpoint_id: e
        for e in await sctx.endpoints.live_for(signed.merchant.merchant_id)
    }
    target = live.get(endpoint_id)
    if target is None:
        return await _page(request, ctx, sctx, signed, status=404)
    result = await post_test_event(sctx.config.webhooks, target.endpoint.url, target.secret)
    return await _page(request, ctx, sctx, signed, test_result=result)


@router.post("/keys")
async def create_key(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    label: str = Form("portal", max_length=80),
) -> Response:
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    created = await ctx.api_keys.create(signed.merchant.merchant_id, label.strip() or "portal")
    await sctx.changes.record(
        signed.merchant.merchant_id,
        signed.who.email,
        "api_key.created",
        {"key_id": created.info.key_id, "label": created.info.label},
    )
    return await _page(request, ctx, sctx, signed, new_key=created.key)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, ctx: Ctx, sctx: SCtx, key_id: str, csrf_token: str = Form("")
) -> Response:
    signed = await _guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    own = {k.key_id for k in await ctx.api_keys.list(signed.merchant.merchant_id)}
    if key_id in own:
        await ctx.api_keys.revoke(key_id)
        await sctx.changes.record(
            signed.merchant.merchant_id, signed.who.email, "api_key.revoked", {"key_id": key_id}
        )
    return await _page(request, ctx, sctx, signed, saved=key_id in own)
