"""The codec over HTTP, so the Temporal Web UI shows ops decrypted payloads.

Implements Temporal's remote codec protocol: POST .../encode and .../decode with a Payloads
message in protobuf JSON. The browser calls it directly from the UI's origin, hence CORS.

It decrypts, so every call must carry the auth token (CANCELFLOW_CODEC__AUTH_TOKEN, or a
random one per start): as `Authorization: Bearer <token>` (the `temporal` CLI's
--codec-auth, a proxy) or as the path segment before the operation, http://host:port/<token>,
the endpoint the Temporal UI is given (it has no way to add a static header). Only /decode is
offered to the UI's origin; /encode answers no browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from workers.codec import UnknownEncryptionKey

log = logging.getLogger(__name__)


def ui_origins(ui_port: int) -> list[str]:
    return [f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"]


def _authorised(request: Request, prefix: str, token: str) -> bool:
    expected = token.encode("utf-8")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
        return True
    segments = prefix.strip("/").split("/")
    in_path = segments[-2] if len(segments) >= 2 else ""
    return hmac.compare_digest(in_path.encode("utf-8", "replace"), expected)


def build_app(codec: PayloadCodec, allowed_origins: Sequence[str], auth_token: str) -> FastAPI:
    app = FastAPI(title="cancelflow codec server", docs_url=None, redoc_url=None)
    origins = set(allowed_origins)

    def cors(request: Request, operation: str) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if operation != "decode" or origin not in origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    @app.options("/{prefix:path}")
    async def preflight(prefix: str, request: Request) -> Response:
        headers = cors(request, prefix.rstrip("/").rsplit("/", 1)[-1])
        if not headers:
            return Response(status_code=403)
        headers |= {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type, X-Namespace, Authorization",
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers=headers)

    # Liveness and readiness are the same here: it needs neither Temporal nor PostgreSQL, and
    # its keys were parsed before it started listening.
    @app.get("/health")
    @app.get("/healthz")
    @app.get("/readyz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # The protocol says: only the last path segment decides, so the codec can be mounted anywhere.
    @app.post("/{prefix:path}")
    async def codec_call(prefix: str, request: Request) -> Response:
        operation = prefix.rstrip("/").rsplit("/", 1)[-1]
        if operation not in ("encode", "decode"):
            return JSONResponse({"error": "use .../encode or .../decode"}, status_code=404)
        headers = cors(request, operation)
        if not _authorised(request, prefix.rstrip("/"), auth_token):
            return JSONResponse(
                {"error": "codec calls need the codec auth token (CANCELFLOW_CODEC__AUTH_TOKEN)"},
                status_code=401,
                headers=headers | {"WWW-Authenticate": "Bearer"},
            )
        if operation == "encode" and "Origin" in request.headers:
            # Browsers only need to decode; encoding is for the CLI and tools.
            return JSONResponse({"error": "encode is not offered to browsers"}, 403)
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, DecodeError, UnicodeDecodeError) as err:
            return JSONResponse(
                {"error": f"body: not a Payloads JSON message ({err})"}, 400, headers=headers
            )
        try:
            if operation == "encode":
                result = await codec.encode(payloads.payloads)
            else:
                result = await codec.decode(payloads.payloads)
        except UnknownEncryptionKey as err:
            return JSONResponse({"error": str(err)}, status_code=400, headers=headers)
        except Exception:  # noqa: BLE001 - tampered ciphertext; say so without details
            log.warning(
                "codec %s failed for namespace %s",
                operation,
                request.headers.get("X-Namespace", "?"),
            )
            return JSONResponse(
                {"error": f"{operation} failed: payload damaged or wrong key"}, 400, headers=headers
            )
        return Response(
            content=json_format.MessageToJson(Payloads(payloads=result)),
            media_type="application/json",
            headers=headers,
        )

    return app


def build_server(
    codec: PayloadCodec, host: str, port: int, allowed_origins: Sequence[str], auth_token: str
) -> uvicorn.Server:
    """A uvicorn server to run inside an event loop: `await server.serve()`, stop with
    `server.should_exit = True`."""
    config = uvicorn.Config(
        build_app(codec, allowed_origins, auth_token),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return _QuietServer(config)


class _QuietServer(uvicorn.Server):
    """Leaves signal handling to the process that embeds it (`cancelflow dev`, the CLI)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class CodecServerError(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def running_codec_server(
    codec: PayloadCodec,
    host: str,
    port: int,
    allowed_origins: Sequence[str],
    auth_token: str | None = None,
) -> AsyncIterator[str]:
    """Serve the codec until the context exits; yields its endpoint, the auth token in its
    path (what the UI is given). Without a token, a random one for this run."""
    token = auth_token or secrets.token_urlsafe(24)
    server = build_server(codec, host, port, allowed_origins, token)
    task = asyncio.create_task(server.serve(), name="codec-server")
    while not server.started:
        if task.done():
            try:
                task.result()
            except BaseException as err:  # uvicorn exits the process on bind errors
                raise CodecServerError(
                    f"codec server could not listen on {host}:{port}: "
                    f"{type(err).__name__} (port in use?)"
                ) from None
            raise CodecServerError(f"codec server on {host}:{port} stopped at start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}/{token}"
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task
