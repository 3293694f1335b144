"""The portal's operations routes: /healthz (the process answers), /readyz (Temporal and
PostgreSQL answer) and /metrics (request counts and durations, Prometheus text).

Requests are labelled by their route's template, never the path itself: reply links carry
capability tokens in the path, and one time series per token would be a leak and a flood.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

CHECK_TIMEOUT_SECONDS = 2.0
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "cancelflow_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "cancelflow_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["route", "method"],
            registry=registry,
        )


async def _readiness(client: Client, pool: asyncpg.Pool) -> dict[str, str]:
    async def postgres() -> None:
        await pool.fetchval("SELECT 1")

    async def temporal() -> None:
        await client.service_client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS))

    async def one(check: Callable[[], Awaitable[None]]) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
        except Exception as err:  # noqa: BLE001 - any failure means "not ready"
            lines = str(err).strip().splitlines()
            return f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        return "ok"

    results = await asyncio.gather(one(postgres), one(temporal))
    return {"postgres": results[0], "temporal": results[1]}


def install_ops_routes(app: FastAPI, client: Client, pool: asyncpg.Pool) -> RequestMetrics:
    """Add /healthz, /readyz, /metrics and the request-metrics middleware to the portal."""
    metrics = RequestMetrics(CollectorRegistry())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        checks = await _readiness(client, pool)
        ready = all(result == "ok" for result in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(_CountRequests, metrics=metrics, routes=app.router.routes)
    _instrument_tracing(app)
    return metrics


class _CountRequests:
    """Counts each request under the template of the route it matches (matched again here:
    the router does not leave the route in the scope for an outer middleware)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def template(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPS_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            template, method = self.template(scope), scope["method"]
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.duration.labels(template, method).observe(time.perf_counter() - started)


def _instrument_tracing(app: FastAPI) -> None:
    """Trace requests when the process installed an OpenTelemetry SDK provider (OTEL_* set)."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if type(provider).__module__.startswith("opentelemetry.sdk"):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
        )
