"""Security headers on every response, as plain ASGI middleware.

Plain ASGI, not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each request
in a task of its own and streams the response through memory channels, a cost the merchant
API pays on every answer (issue 23).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_API_PREFIX = "/api/"
_STATIC_PREFIX = "/static/"

# Reply tokens live in the URL: never leak them to another site in a Referer, never cache
# the pages. same-origin rather than no-referrer: with no-referrer a browser sends
# 'Origin: null' on the form's POST, and the reply form checks Origin (issue 9 #9).
_EVERYWHERE = (("Referrer-Policy", "same-origin"), ("X-Content-Type-Options", "nosniff"))
_NOT_STATIC = (("Cache-Control", "no-store"),)
_PAGES = (
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        wanted = list(_EVERYWHERE)
        if not path.startswith(_STATIC_PREFIX):
            wanted += _NOT_STATIC
        if not path.startswith(_API_PREFIX):
            wanted += _PAGES

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted:
                    # A route that set its own value keeps it.
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
