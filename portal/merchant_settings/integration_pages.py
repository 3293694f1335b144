"""The settings page's webhook and API-key forms: add, test, remove, create, revoke.

Removing an endpoint or revoking a key asks first (a page with the question, so it works
without JavaScript); every change is recorded in the merchant's change log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from domain.webhooks import parse_event_types, validate_endpoint_url
from portal.context import Ctx
from portal.merchant_settings.deps import SCtx
from portal.merchant_settings.forms import endpoint_url_problem
from portal.merchant_settings.pages import confirm_page, guarded, render_settings
from portal.merchant_settings.webhook_test import send_test_event

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)


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
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    if confirmed != "yes":
        endpoints = await sctx.endpoints.list(signed.merchant.merchant_id)
        target = next((e for e in endpoints if e.endpoint_id == endpoint_id), None)
        if target is None:
            return await render_settings(request, ctx, sctx, signed, status=404)
        return confirm_page(
            request,
            ctx,
            signed,
            title=signed.t("confirm_remove_title"),
            text=signed.t("confirm_remove_text", url=target.url),
            action=f"/merchant/settings/webhooks/{endpoint_id}/remove",
            button=signed.t("confirm_remove"),
            back="#webhooks",
        )
    removed = await sctx.endpoints.disable(endpoint_id, signed.merchant.merchant_id)
    if removed is not None:
        await sctx.changes.record(
            signed.merchant.merchant_id,
            signed.who.email,
            "webhook.removed",
            {"endpoint_id": endpoint_id},
        )
    return await render_settings(request, ctx, sctx, signed, webhook_removed=removed is not None)


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
    signed = await guarded(request, ctx, sctx, csrf_token)
    if isinstance(signed, Response):
        return signed
    keys = {k.key_id: k for k in await ctx.api_keys.list(signed.merchant.merchant_id)}
    own = set(keys)
    if key_id in own and confirmed != "yes":
        return confirm_page(
            request,
            ctx,
            signed,
            title=signed.t("confirm_revoke_title"),
            text=signed.t(
                "confirm_revoke_text", api_key=f"cfk_{key_id}_…", label=keys[key_id].label
            ),
            action=f"/merchant/settings/keys/{key_id}/revoke",
            button=signed.t("confirm_revoke"),
            back="#api-keys",
        )
    if key_id in own:
        await ctx.api_keys.revoke(key_id)
        await sctx.changes.record(
            signed.merchant.merchant_id, signed.who.email, "api_key.revoked", {"key_id": key_id}
        )
    return await render_settings(request, ctx, sctx, signed, key_revoked=key_id in own)
