"""The ops console application: pages and forms only (no JavaScript), every page behind
sign-in, served on its own port for the internal network."""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client
from temporalio.service import RPCError

from cases.client import HistorySource
from cases.history_source import ClosedRunCache
from console import acts, acts_erase, auth, merchants, pages
from console.access import RoleRefused, SignInNeeded, role_refusal, sign_in_redirect
from console.config import ConsoleSettings
from console.context import ConsoleContext
from console.i18n import LANGUAGE_COOKIE, Translator, choose_locale
from console.rendering import render
from storage.archive import ArchiveStore
from storage.webhooks import SecretBox

log = structlog.get_logger("cancelflow.console")

SESSION_COOKIE = "cf_ops_session"


def create_app(
    client: Client,
    pool: asyncpg.Pool,
    settings: ConsoleSettings,
    webhook_secrets_key: str,
    *,
    dev_sign_in: bool = False,
    task_queue: str | None = None,
) -> FastAPI:
    app = FastAPI(title="cancelflow ops console", docs_url=None, redoc_url=None, openapi_url=None)
    closed_runs = ClosedRunCache()
    app.state.console = ConsoleContext(
        client=client,
        pool=pool,
        settings=settings,
        history=HistorySource(client, ArchiveStore(pool), closed_runs),
        closed_runs=closed_runs,
        webhook_secrets=SecretBox(webhook_secrets_key),
        dev_sign_in=dev_sign_in,
        task_queue=task_queue,
        oauth=auth.oauth_client(settings) if settings.issuer else None,
    )
    for router in (auth.router, pages.router, acts.router, acts_erase.router, merchants.router):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready when PostgreSQL and Temporal answer (the provider is asked at sign-in)."""
        import json

        problems = []
        try:
            await pool.fetchval("SELECT 1")
        except Exception as err:  # noqa: BLE001 - any failure means not ready
            problems.append(f"postgresql: {type(err).__name__}")
        try:
            await client.service_client.check_health()
        except Exception as err:  # noqa: BLE001
            problems.append(f"temporal: {type(err).__name__}")
        body = json.dumps({"status": "ready" if not problems else "unready", "problems": problems})
        return Response(body, status_code=503 if problems else 200, media_type="application/json")

    _install_error_handlers(app)
    app.state.csp = _content_security_policy(settings)
    app.middleware("http")(_language_and_headers)
    # Outermost: the session is read before anything else and written after.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_minutes * 60,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    return app


async def _language_and_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
    asked = request.query_params.get("lang")
    locale = choose_locale(asked or request.cookies.get(LANGUAGE_COOKIE), request)
    request.state.t = Translator(locale)
    response: Response = await call_next(request)
    if asked and asked == locale:
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", request.app.state.csp)
    return response


def _content_security_policy(settings: ConsoleSettings) -> str:
    """No script at all: a name or a reply that slipped past escaping still could not run.
    Forms post to the console alone; sign-out's redirect goes on to the provider."""
    from urllib.parse import urlsplit

    targets = "'self'"
    if settings.issuer:
        parts = urlsplit(settings.issuer)
        targets += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        f"form-action {targets}; frame-ancestors 'none'; base-uri 'none'"
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def on_sign_in(request: Request, exc: SignInNeeded) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(RoleRefused)
    async def on_role(request: Request, exc: RoleRefused) -> Response:
        return role_refusal(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        t = request.state.t
        return render(
            request,
            "error.html",
            {"heading": t("refused_heading"), "text": str(exc.detail)},
            status_code=exc.status_code,
        )

    @app.exception_handler(RPCError)
    async def on_temporal(request: Request, exc: RPCError) -> Response:
        log.error("console.temporal_error", path=request.url.path, status=str(exc.status))
        t = request.state.t
        response = render(
            request,
            "error.html",
            {"heading": t("unavailable_heading"), "text": t("unavailable_text")},
            status_code=503,
        )
        response.headers["Retry-After"] = "5"
        return response
