"""The settings page's webhook and API-key forms: add, test, remove, create, revoke.

Removing an endpoint or revoking a key asks first (a page with the question, so it works
without JavaScript); every change is recorded in the merchant's change log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from domain.webhooks import parse_event_types, validate_endpoint_url
from portal.context import Ctx, PortalContext
from portal.merchant_settings.deps import SCtx, SettingsContext
from portal.merchant_settings.forms import endpoint_url_problem
from portal.merchant_settings.pages import _Signed, confirm_page, guarded, render_settings
from portal.merchant_settings.webhook_test import send_test_event

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)


@dataclass(frozen=True)
class _Removal:
    """A change the merchant confirms first, and what it leaves in the change log. The
    question's Yes posts back to the path it was asked at."""

    words: str  # message keys of the question: <words>_title, <words>_text, <words>
    back: str  # the settings page's anchor the question's Cancel returns to
    change: str  # the change log's entry
    notice: str  # the settings page's notice once done
    # The answer to a question about something that is not the merchant's. Unequal on
    # purpose, as they were before the flows were shared: an unknown endpoint is a 404,
    # an unknown key id the settings page (200) without a notice.
    unknown_status: int


_REMOVE_WEBHOOK = _Removal("confirm_remove", "#webhooks", "webhook.removed", "webhook_removed", 404)
_REVOKE_KEY = _Removal("confirm_revoke", "#api-keys", "api_key.revoked", "key_revoked", 200)


async def _confirmed_removal(
    request: Request,
    ctx: PortalContext,
    sctx: SettingsContext,
    csrf_token: str,
    confirmed: str,
    removal: _Removal,
    item: dict[str, str],
    describe: Callable[[_Signed], Awaitable[dict[str, str] | None]],
    remove: Callable[[_Signed], Awaitable[bool]],
) -> Response:
    """The question page until the merchant says yes, then the change, logged (with `item`,
    the id of what was removed) if it was made.

    `describe` gives the question's text values (None: nothing of the merchant's by that id);
    `remove` makes the change and says whether there was anything to change.
    """
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    if confirmed != "yes":
        values = await describe(signed)
        if values is None:
            return await render_settings(request, ctx, sctx, signed, status=removal.unknown_status)
        return confirm_page(
            request,
            ctx,
            signed,
            title=signed.t(f"{removal.words}_title"),
            text=signed.t(f"{removal.words}_text", **values),
            action=request.url.path,
            button=signed.t(removal.words),
            back=removal.back,
        )
    removed = await remove(signed)
    if removed:
        await sctx.changes.record(
            signed.merchant.merchant_id, signed.who.email, removal.change, item
        )
    notice: dict[str, Any] = {removal.notice: removed}
    return await render_settings(request, ctx, sctx, signed, **notice)


@router.post("/webhooks")
async def add_webhook(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    url: str = Form("", max_length=2000),
    event: Annotated[list[str] | None, Form()] = None,
) -> Response:
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    allow_local = sctx.config.webhooks.allow_insecure_localhost
    problems: dict[str, str] = {}
    url_problem = endpoint_url_problem(url, allow_local, signed.t)
    if url_problem:
        problems["url"] = url_problem
    try:
        events = parse_event_types(event or [])
    except ValueError:
        problems["events"] = signed.t("err_events")
    if problems:
        # What the merchant typed stays in the form, to be corrected rather than retyped.
        typed = {"url": url, "events": event or []}
        return await render_settings(
            request, ctx, sctx, signed, status=422, errors=problems, webhook_form=typed
        )
    checked = validate_endpoint_url(url, allow_local)
    created = await sctx.endpoints.add(
        signed.merchant.merchant_id, checked, events, created_by=signed.who.email
    )
    await sctx.changes.record(
        signed.merchant.merchant_id,
        signed.who.email,
        "webhook.added",
        {"endpoint_id": created.endpoint.endpoint_id, "url": checked, "events": events},
    )
    return await render_settings(
        request, ctx, sctx, signed, new_secret=created.secret, new_endpoint=created.endpoint
    )


@router.post("/webhooks/{endpoint_id}/remove")
async def remove_webhook(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    endpoint_id: str,
    csrf_token: str = Form(""),
    confirmed: str = Form("", max_length=3),
) -> Response:
    async def describe(signed: _Signed) -> dict[str, str] | None:
        endpoints = await sctx.endpoints.list(signed.merchant.merchant_id)
        target = next((e for e in endpoints if e.endpoint_id == endpoint_id), None)
        return None if target is None else {"url": target.url}

    async def remove(signed: _Signed) -> bool:
        removed = await sctx.endpoints.disable(endpoint_id, signed.merchant.merchant_id)
        return removed is not None

    item = {"endpoint_id": endpoint_id}
    return await _confirmed_removal(
        request, ctx, sctx, csrf_token, confirmed, _REMOVE_WEBHOOK, item, describe, remove
    )


@router.post("/webhooks/{endpoint_id}/test")
async def test_webhook(
    request: Request, ctx: Ctx, sctx: SCtx, endpoint_id: str, csrf_token: str = Form("")
) -> Response:
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    live = {
        e.endpoint.endpoint_id: e
        for e in await sctx.endpoints.live_for(signed.merchant.merchant_id)
    }
    target = live.get(endpoint_id)
    if target is None:
        return await render_settings(request, ctx, sctx, signed, status=404)
    result = await send_test_event(
        sctx.config.webhooks, target.endpoint.url, target.secret, signed.t
    )
    return await render_settings(request, ctx, sctx, signed, test_result=result)


@router.post("/keys")
async def create_key(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    csrf_token: str = Form(""),
    label: str = Form("portal", max_length=80),
) -> Response:
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    created = await ctx.api_keys.create(signed.merchant.merchant_id, label.strip() or "portal")
    await sctx.changes.record(
        signed.merchant.merchant_id,
        signed.who.email,
        "api_key.created",
        {"key_id": created.info.key_id, "label": created.info.label},
    )
    return await render_settings(request, ctx, sctx, signed, new_key=created.key)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    request: Request,
    ctx: Ctx,
    sctx: SCtx,
    key_id: str,
    csrf_token: str = Form(""),
    confirmed: str = Form("", max_length=3),
) -> Response:
    async def describe(signed: _Signed) -> dict[str, str] | None:
        keys = {k.key_id: k for k in await ctx.api_keys.list(signed.merchant.merchant_id)}
        if key_id not in keys:
            return None
        return {"api_key": f"cfk_{key_id}_…", "label": keys[key_id].label}

    async def remove(signed: _Signed) -> bool:
        # Only the merchant's own keys: a key id is no secret, it shows in every key.
        own = {k.key_id for k in await ctx.api_keys.list(signed.merchant.merchant_id)}
        if key_id in own:
            await ctx.api_keys.revoke(key_id)
        return key_id in own

    item = {"key_id": key_id}
    return await _confirmed_removal(
        request, ctx, sctx, csrf_token, confirmed, _REVOKE_KEY, item, describe, remove
    )
