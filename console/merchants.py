"""The merchant directory: read for every op, editable for admins. Webhook endpoints are shown
by URL and events only (their signing secrets never leave the store). Every edit is in the
merchant's change log under the admin's name, and applies to cases started afterwards."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from console.access import AdminOp, require
from console.context import context_of
from console.pages import flash, take_flash
from console.rendering import render
from domain.common import describe_validation_error
from domain.customer import StandardIdentifier
from domain.merchant import Merchant, NotifyBy, ResponsePolicy
from portal.merchant_settings.forms import changed_fields, extras_of, read_profile
from portal.merchant_settings.i18n import SettingsTranslator

log = structlog.get_logger("cancelflow.console.merchants")

router = APIRouter(prefix="/merchants")

POLICY_FIELDS = tuple(ResponsePolicy.model_fields)


@router.get("")
async def merchant_list(request: Request) -> Response:
    require(request)
    merchants = await context_of(request).merchants.list()
    return render(request, "merchants.html", {"merchants": merchants})


async def _page(
    request: Request,
    merchant: Merchant,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    ctx = context_of(request)
    endpoints = await ctx.endpoints.list(merchant.merchant_id, include_disabled=True)
    changes = await ctx.changes.list(merchant.merchant_id)
    return render(
        request,
        "merchant.html",
        {
            "merchant": merchant,
            "endpoints": endpoints,
            "changes": changes,
            "errors": errors or {},
            "flash": take_flash(request),
            "standard_identifiers": [i.value for i in StandardIdentifier],
            "extras": extras_of(merchant),
            "notify_choices": [n.value for n in NotifyBy],
            "policy_fields": POLICY_FIELDS,
        },
        status_code=status,
    )


@router.get("/{merchant_id}")
async def merchant_page(request: Request, merchant_id: str) -> Response:
    require(request)
    merchant = await context_of(request).merchants.get(merchant_id)
    if merchant is None:
        t = request.state.t
        return render(
            request,
            "error.html",
            {"heading": t("not_found_heading"), "text": t("no_merchant", merchant=merchant_id)},
            status_code=404,
        )
    return await _page(request, merchant)


def _with_policy(merchant: Merchant, values: dict[str, str]) -> tuple[Merchant | None, str | None]:
    try:
        policy = ResponsePolicy.model_validate({k: values[k] for k in POLICY_FIELDS})
    except ValidationError as err:
        return None, "; ".join(
            f"{p['field']}: {p['message']}" for p in describe_validation_error(err)
        )
    return merchant.model_copy(update={"response_policy": policy}), None


@router.post("/{merchant_id}")
async def edit_merchant(
    request: Request,
    merchant_id: str,
    op: AdminOp,
    identifier: Annotated[list[str] | None, Form()] = None,
    extra_identifiers: str = Form("", max_length=1000),
    contacts: str = Form("", max_length=4000),
    locale: str = Form("en", max_length=5),
    timezone: str = Form("", max_length=64),
    notify_by: str = Form("email", max_length=32),
    first_reminder_after: str = Form(""),
    second_reminder_after: str = Form(""),
    escalate_after: str = Form(""),
    repeat_reminder_every: str = Form(""),
) -> Response:
    ctx = context_of(request)
    t = request.state.t
    current = await ctx.merchants.get(merchant_id)
    if current is None:
        return RedirectResponse("/merchants", status_code=303)
    updated, errors = read_profile(
        current,
        identifier or [],
        extra_identifiers,
        contacts,
        locale,
        timezone,
        notify_by,
        # The settings page's words for the same rules, in the op's language.
        SettingsTranslator(t.locale),
    )
    policy_values = {
        "first_reminder_after": first_reminder_after,
        "second_reminder_after": second_reminder_after,
        "escalate_after": escalate_after,
        "repeat_reminder_every": repeat_reminder_every,
    }
    if updated is not None:
        updated, problem = _with_policy(updated, policy_values)
        if problem:
            errors["response_policy"] = problem
    if updated is None:
        return await _page(request, current, status=422, errors=errors)
    changes: dict[str, Any] = changed_fields(current, updated)
    if current.response_policy != updated.response_policy:
        changes["response_policy"] = {
            "from": current.response_policy.model_dump(),
            "to": updated.response_policy.model_dump(),
        }
    if changes:
        await ctx.merchants.upsert(updated)
        await ctx.changes.record(merchant_id, op.actor, "settings.changed", changes)
        log.info("console.merchant_changed", merchant_id=merchant_id, fields=list(changes))
        flash(request, "done", t("saved"))
    else:
        flash(request, "done", t("unchanged"))
    return RedirectResponse(f"/merchants/{quote(merchant_id, safe='')}", status_code=303)
