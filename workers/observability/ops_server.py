"""The small HTTP server of the processes without one (worker, mail gateway), and the
/healthz, /readyz and /metrics routes every process answers.

/healthz: the process's event loop answers (liveness). /readyz: 200 when every readiness
check passes, else 503 with each check's result. /metrics: Prometheus text of our registry,
refreshed first (gauges read from the database), then the SDK core's own metrics if the
process has them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence

import httpx
import structlog
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from workers.observability.checks import Checks, run_checks

log = structlog.get_logger("cancelflow.ops")

Refresh = Callable[[], Awaitable[None]]


def ops_routes(
    checks: Checks,
    registry: CollectorRegistry,
    *,
    timeout: float = 2.0,
    refresh: Sequence[Refresh] = (),
    sdk_metrics_url: str | None = None,
) -> list[BaseRoute]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        results = await run_checks(checks, timeout)
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    async def metrics(_: Request) -> Response:
        for step in refresh:
            try:
                await asyncio.wait_for(step(), timeout)
            except Exception as err:  # noqa: BLE001 - stale gauges beat a failed scrape
                log.warning("metrics.refresh_failed", error=f"{type(err).__name__}: {err}")
        body = generate_latest(registry)
        if sdk_metrics_url:
            body += await _sdk_metrics(sdk_metrics_url, timeout)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


async def _sdk_metrics(url: str, seconds: float) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=seconds) as http:
            response = await http.get(url)
            response.raise_for_status()
            return response.content
    except httpx.HTTPError as err:
        log.warning("metrics.sdk_unavailable", url=url, error=type(err).__name__)
        return b""


class _EmbeddedServer(uvicorn.Server):
    """The process owns SIGINT/SIGTERM, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class OpsServerError(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def running_ops_server(host: str, port: int, routes: list[BaseRoute]) -> AsyncIterator[str]:
    """Serve `routes` on host:port until the block ends; yields the base URL."""
    config = uvicorn.Config(
        Starlette(routes=routes),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(), name="ops-server")
    while not server.started:
        if task.done():
            with contextlib.suppress(BaseException):
                task.result()
            raise OpsServerError(
                f"the ops server (health, readiness, metrics) could not listen on {host}:{port}; "
                "is the port in use? (CANCELFLOW_OPS__*_PORT)"
            )
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task
