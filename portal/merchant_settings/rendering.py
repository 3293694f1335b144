"""Rendering the settings pages and knowing who is signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from portal.context import PortalContext
from portal.csrf import is_same_origin
from portal.i18n import LANGUAGE_NAMES, choose_locale
from portal.merchant_settings.deps import SESSION_COOKIE, SettingsContext
from portal.merchant_settings.i18n import SettingsTranslator
from storage.merchant_sessions import SignedIn

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def translator(request: Request, fallback: str = "en") -> SettingsTranslator:
    return SettingsTranslator(choose_locale(request.query_params.get("lang"), fallback))


def render(
    request: Request, name: str, t: SettingsTranslator, status: int = 200, **values: Any
) -> Response:
    context = {
        "t": t,
        "lang": t.locale,
        "languages": LANGUAGE_NAMES,
        "path": request.url.path,
        **values,
    }
    return templates.TemplateResponse(request, f"merchant/{name}", context, status_code=status)


def same_origin(request: Request, ctx: PortalContext) -> bool:
    """Whether a POST comes from the portal's own pages: the reply form's check (portal.csrf)."""
    return is_same_origin(
        request.headers.get("origin"), request.headers.get("referer"), ctx.settings.base_url
    )


async def signed_in(request: Request, sctx: SettingsContext) -> tuple[str, SignedIn] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    who = await sctx.sessions.session(token)
    return None if who is None else (token, who)
