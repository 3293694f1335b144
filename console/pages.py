"""The inbox, the case page and finding a case."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cases.client import CaseNotFound
from console.access import require
from console.answer_form import answer_form
from console.case_view import find_cases, read_case
from console.context import context_of
from console.inbox import InboxFilter, read_inbox
from console.rendering import render
from domain.outcomes import date_fields

router = APIRouter()

_MERCHANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FLASH_KEY = "flash"


def flash(request: Request, kind: str, text: str) -> None:
    request.session[FLASH_KEY] = [kind, text]


def take_flash(request: Request) -> list[str] | None:
    value = request.session.pop(FLASH_KEY, None)
    return value if isinstance(value, list) and len(value) == 2 else None


def _filters(request: Request) -> tuple[InboxFilter, list[str]]:
    problems = []
    merchant = request.query_params.get("merchant", "").strip() or None
    if merchant is not None and not _MERCHANT.fullmatch(merchant):
        problems.append("merchant")
        merchant = None
    raw_age = request.query_params.get("older_than_days", "").strip()
    age = None
    if raw_age:
        if raw_age.isdigit() and int(raw_age) <= 3650:
            age = int(raw_age)
        else:
            problems.append("older_than_days")
    return InboxFilter(merchant_id=merchant, older_than_days=age), problems


@router.get("/")
async def inbox(request: Request) -> Response:
    require(request)
    ctx = context_of(request)
    filters, problems = _filters(request)
    found = await read_inbox(ctx.client, ctx.pool, filters)
    return render(request, "inbox.html", {"inbox": found, "filters": filters, "problems": problems})


@router.get("/find")
async def find(request: Request) -> Response:
    require(request)
    ctx = context_of(request)
    text = request.query_params.get("q", "")[:200]
    found = await find_cases(ctx.client, ctx.pool, text) if text.strip() else []
    if isinstance(found, str):
        return RedirectResponse(f"/?merchant={quote(found)}", status_code=303)
    if len(found) == 1:
        return RedirectResponse(f"/cases/{quote(found[0], safe='')}", status_code=303)
    return render(request, "find.html", {"q": text, "found": found}, status_code=200)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str) -> Response:
    op = require(request)
    ctx = context_of(request)
    try:
        view = await read_case(ctx.client, ctx.pool, ctx.history, case_id, ctx.timelines)
    except CaseNotFound:
        t = request.state.t
        return render(
            request,
            "error.html",
            {"heading": t("not_found_heading"), "text": t("not_found_text", case=case_id)},
            status_code=404,
        )
    return render(
        request,
        "case.html",
        {
            "view": view,
            "state": view.state,
            "ui_link": ctx.temporal_ui_link(view.workflow_id),
            "flash": take_flash(request),
            "may_act": op.may_act,
            "form": answer_form(request.state.t.locale),
            # The dates a reply's suggestion may name, each shown with its field's label.
            "date_fields": date_fields(),
        },
    )
