"""The small HTTP server of the processes without one (worker, mail gateway), and the
/healthz, /readyz and /metrics routes every process answers.

/healthz: the process's event loop answers (liveness). /readyz: 200 when every readiness
check passes, else 503 with each check's result. /metrics: Prometheus text of our registry,
refreshed first (gauges read from the database), then the SDK core's own metrics if the
process has them.

Served with h11 (the HTTP/1.1 state machine under uvicorn and httpx) on asyncio streams, not
an ASGI server: the worker loads no web framework (tests/workers/test_worker_modules.py). The
portal answers the same paths from its own app (portal/health.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import h11
import httpx
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from workers.observability.checks import Checks, run_checks

log = structlog.get_logger("cancelflow.ops")

Refresh = Callable[[], Awaitable[None]]
# A request's slowest honest answer is a readiness check at its timeout; a client slower
# than this to send its request line and headers is dropped.
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, data: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(data).encode())


Route = Callable[[], Awaitable[Reply]]
Routes = Mapping[str, Route]


def ops_routes(
    checks: Checks,
    registry: CollectorRegistry,
    *,
    timeout: float = 2.0,
    refresh: Sequence[Refresh] = (),
    sdk_metrics_url: str | None = None,
) -> dict[str, Route]:
    async def healthz() -> Reply:
        return Reply.json({"status": "ok"})

    async def readyz() -> Reply:
        results = await run_checks(checks, timeout)
        ready = all(result == "ok" for result in results.values())
        return Reply.json(
            {"status": "ready" if ready else "not ready", "checks": results},
            status=200 if ready else 503,
        )

    async def metrics() -> Reply:
        for step in refresh:
            try:
                await asyncio.wait_for(step(), timeout)
            except Exception as err:  # noqa: BLE001 - stale gauges beat a failed scrape
                log.warning("metrics.refresh_failed", error=f"{type(err).__name__}: {err}")
        body = generate_latest(registry)
        if sdk_metrics_url:
            body += await _sdk_metrics(sdk_metrics_url, timeout)
        return Reply(200, body, CONTENT_TYPE_LATEST)

    return {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


async def _sdk_metrics(url: str, seconds: float) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=seconds) as http:
            response = await http.get(url)
            response.raise_for_status()
            return response.content
    except httpx.HTTPError as err:
        log.warning("metrics.sdk_unavailable", url=url, error=type(err).__name__)
        return b""


class OpsServerError(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def running_ops_server(host: str, port: int, routes: Routes) -> AsyncIterator[str]:
    """Serve `routes` (GET only) on host:port until the block ends; yields the base URL."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(reader, writer, routes)
        except (OSError, TimeoutError, h11.ProtocolError):
            pass  # a client that went away or spoke garbage gets nothing more
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    try:
        server = await asyncio.start_server(connection, host, port)
    except OSError as err:
        raise OpsServerError(
            f"the ops server (health, readiness, metrics) could not listen on {host}:{port}; "
            f"is the port in use? (CANCELFLOW_OPS__*_PORT): {err.strerror or err}"
        ) from err
    bound = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.close()
        await server.wait_closed()


async def _answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, routes: Routes
) -> None:
    """One request, one reply, then the connection closes (scrapers and probes reconnect)."""
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(16384))
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    if request is None:
        return
    path = request.target.decode("latin-1").partition("?")[0]
    route = routes.get(path)
    if route is None:
        reply = Reply.json({"detail": "Not Found"}, status=404)
    elif request.method not in (b"GET", b"HEAD"):
        reply = Reply.json({"detail": "Method Not Allowed"}, status=405)
    else:
        reply = await route()
    headers = [
        ("content-type", reply.content_type),
        ("content-length", str(len(reply.body))),
        ("connection", "close"),
    ]
    writer.write(conn.send(h11.Response(status_code=reply.status, headers=headers)) or b"")
    if request.method != b"HEAD":
        writer.write(conn.send(h11.Data(data=reply.body)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()
