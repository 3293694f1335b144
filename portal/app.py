"""The portal application: reply-link pages and the JSON APIs, wired to Temporal and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import structlog
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import Client
from temporalio.service import RPCError

from cases.client import HistorySource
from domain.reply_token import ReplyTokenSigner
from portal import pages
from portal.api import answers, intake, merchant
from portal.api.auth import VERIFIED_KEY_TTL
from portal.api.problems import (
    FieldProblem,
    Problem,
    ProblemError,
    describe_request_errors,
    install_problem_docs,
    problem_response,
)
from portal.api.webhook_events import install_webhook_docs
from portal.body_limit import BodySizeLimit
from portal.config import PortalSettings
from portal.context import MerchantLookup, PortalContext
from portal.csrf import CsrfProtector
from portal.health import install_ops_routes
from portal.i18n import LANGUAGE_NAMES, Translator, choose_locale
from portal.merchant_settings import batches as settings_batches
from portal.merchant_settings import integration_pages as settings_integration_pages
from portal.merchant_settings import pages as settings_pages
from portal.merchant_settings import replies as settings_replies  # noqa: F401 (its route)
from portal.merchant_settings import requests as settings_requests
from portal.merchant_settings import sign_in as settings_sign_in
from portal.merchant_settings.deps import MerchantSettingsConfig, SettingsContext
from portal.outages import DATABASE_OUTAGES
from portal.pages import language_link_path
from portal.security_headers import SecurityHeaders
from storage.api_keys import ApiKeyStore
from storage.archive import ArchiveStore
from storage.bulk_answers import BulkAnswerBatches
from storage.case_list import CaseList
from storage.merchants import MerchantDirectory

log = structlog.get_logger()

SUPPORT_ADDRESS = "support@us.minnatechnologies.com"


def create_app(
    client: Client,
    pool: asyncpg.Pool,
    settings: PortalSettings,
    task_queue: str,
    *,
    merchants: MerchantLookup | None = None,
    support_address: str = SUPPORT_ADDRESS,
    merchant_settings: MerchantSettingsConfig | None = None,
) -> FastAPI:
    app = FastAPI(
        title="cancelflow",
        version="1.0.0",
        summary="Cancellation cases: intake for our systems, answers from merchants",
        # Swagger UI and ReDoc load their scripts from a CDN; the OpenAPI document is enough
        # for integrators' tools and works offline.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    archive = ArchiveStore(pool)
    app.state.portal = PortalContext(
        client=client,
        merchants=merchants or MerchantDirectory(pool),
        api_keys=ApiKeyStore(pool, cache_for=VERIFIED_KEY_TTL),
        settings=settings,
        task_queue=task_queue,
        signer=ReplyTokenSigner(
            settings.secret_key.get_secret_value(),
            valid_for=timedelta(days=settings.link_valid_days),
        ),
        csrf=CsrfProtector(settings.secret_key.get_secret_value()),
        support_address=support_address,
        history=HistorySource(client, archive),
        archive=archive,
        case_list=CaseList(pool),
    )
    app.include_router(pages.router)
    app.include_router(intake.router)
    app.include_router(merchant.router)
    app.include_router(answers.router)
    app.state.bulk_batches = BulkAnswerBatches(pool)
    install_webhook_docs(app)
    answers.install_batch_webhook_doc(app)
    install_problem_docs(app)
    if merchant_settings is not None:
        # Self-service settings need a way to email sign-in links: the process provides it.
        app.state.merchant_settings = SettingsContext.build(pool, merchant_settings)
        app.include_router(settings_sign_in.router)
        app.include_router(settings_pages.router)
        app.include_router(settings_integration_pages.router)
        app.include_router(settings_requests.router)
        app.include_router(settings_batches.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    _install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={**answers.LARGER_BODIES, **settings_requests.LARGER_BODIES},
    )

    install_ops_routes(app, client, pool)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, heading_key: str, text_key: str) -> Response:
    lang = request.query_params.get("lang")
    t = Translator(choose_locale(lang, "en"))
    return pages.templates.TemplateResponse(
        request,
        "error.html",
        {
            "t": t,
            "lang": t.locale,
            "languages": LANGUAGE_NAMES,
            "path": language_link_path(request),
            "heading": t(heading_key),
            "text": t(text_key),
        },
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(exc.problem, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = describe_request_errors(exc)
        return problem_response(
            Problem(
                title="Validation failed",
                status=422,
                detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
                errors=[FieldProblem(**e) for e in errors],
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return problem_response(
                Problem(
                    title=_reason(exc.status_code), status=exc.status_code, detail=str(exc.detail)
                ),
                headers=exc.headers,
            )
        if exc.status_code == 404:
            return _error_page(request, 404, "link_invalid_heading", "link_invalid_text")
        return Response(str(exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RPCError)
    async def on_temporal_unavailable(request: Request, exc: RPCError) -> Response:
        log.error("portal.temporal_error", path=_safe_path(request), status=str(exc.status))
        if _is_api(request):
            return _unavailable_problem("the case engine")
        return _unavailable_page(request)

    async def on_database_unavailable(request: Request, exc: Exception) -> Response:
        # A handler per class (not the catch-all below, whose errors Starlette re-raises
        # after answering): the kept-alive connection stays usable for the next request.
        log.error("portal.database_unavailable", path=_safe_path(request), error=type(exc).__name__)
        if _is_api(request):
            return _unavailable_problem("the case database")
        return _unavailable_page(request)

    for outage in DATABASE_OUTAGES:
        app.add_exception_handler(outage, on_database_unavailable)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("portal.unexpected_error", path=_safe_path(request))
        if _is_api(request):
            return problem_response(
                Problem(
                    title="Internal error",
                    status=500,
                    detail="something went wrong on our side; it has been logged",
                )
            )
        return _error_page(request, 500, "unavailable_heading", "unavailable_text")


def _unavailable_problem(what: str) -> Response:
    """An API caller's 503 while `what` is down: the request was fine, send it again later."""
    return problem_response(
        Problem(
            title="Service unavailable",
            status=503,
            detail=f"{what} is not reachable; try again shortly",
        ),
        headers={"Retry-After": "5"},
    )


def _unavailable_page(request: Request) -> Response:
    """A person's 503 while Temporal or the database is down: the page says to try again,
    and Retry-After tells a browser or proxy when."""
    response = _error_page(request, 503, "unavailable_heading", "unavailable_text")
    response.headers["Retry-After"] = "5"
    return response


def _safe_path(request: Request) -> str:
    # Reply tokens are capabilities: keep them out of logs.
    path = request.url.path
    return "/r/…" if path.startswith("/r/") else path


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a larger process: the process owns SIGINT/SIGTERM, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_portal(app: FastAPI, host: str, port: int) -> None:
    """Serve until cancelled; cancelling shuts the server down cleanly (sockets closed)."""
    # httptools parses HTTP/1.1 in C (h11, the default, in Python): measured on the merchant
    # answer path (docs/BENCHMARKS.md, issue 23). The event loop is the process's own: uvloop
    # where the process chose it (`cancelflow portal`), see workers/commands/processes.py.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="httptools",
        # Longer than the idle timeout of the load balancers in front (60 s for an AWS ALB
        # or nginx's upstream keepalive): a server that closes an idle connection first
        # races the balancer's next request on it, which the client sees as a 502.
        timeout_keep_alive=75,
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(serving)
    except SystemExit:
        # uvicorn exits the process when it cannot bind; here that is an ordinary error.
        raise OSError(f"the portal could not listen on {host}:{port}") from None
    except asyncio.CancelledError:
        server.should_exit = True
        await serving
        raise
    if not server.started:
        raise OSError(f"the portal could not listen on {host}:{port}")
