"""Every form carries the session's random token, and a POST must come from the console's own
pages (its Origin, or its Referer when a browser sent no Origin)."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from console.context import context_of

CSRF_KEY = "csrf"


def form_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    return token if isinstance(token, str) else ""


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def require_form_token(request: Request, submitted: str) -> None:
    """Raises 403 unless the form's token is this session's and the POST is same-origin."""
    expected = form_token(request)
    if not expected or not hmac.compare_digest(expected, submitted or ""):
        raise HTTPException(403, "the form has expired or was not sent from the console")
    ours = _origin(context_of(request).settings.base_url)
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    if origin is not None:
        same = _origin(origin) == ours
    else:
        same = referer is not None and _origin(referer) == ours
    if not same:
        raise HTTPException(403, "the form was not sent from the console's own pages")
