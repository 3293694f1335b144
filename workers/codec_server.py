"""The codec over HTTP, so the Temporal Web UI shows ops decrypted payloads.

Implements Temporal's remote codec protocol: POST .../encode and .../decode with a Payloads
message in protobuf JSON. The browser calls it directly from the UI's origin, hence CORS.
Bind it to localhost or put it behind the same access control as the UI: it decrypts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence

import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from workers.codec import UnknownEncryptionKey

log = logging.getLogger(__name__)


def ui_origins(ui_port: int) -> list[str]:
    return [f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"]


def build_app(codec: PayloadCodec, allowed_origins: Sequence[str]) -> FastAPI:
    app = FastAPI(title="cancelflow codec server", docs_url=None, redoc_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(allowed_origins),
        allow_methods=["POST", "OPTIONS"],
        allow_headers=["Content-Type", "X-Namespace", "Authorization"],
        allow_credentials=True,
    )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # The protocol says: only the last path segment decides, so the codec can be mounted anywhere.
    @app.post("/{prefix:path}")
    async def codec_call(prefix: str, request: Request) -> Response:
        operation = prefix.rstrip("/").rsplit("/", 1)[-1]
        if operation not in ("encode", "decode"):
            return JSONResponse({"error": "use .../encode or .../decode"}, status_code=404)
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, DecodeError, UnicodeDecodeError) as err:
            return JSONResponse({"error": f"body: not a Payloads JSON message ({err})"}, 400)
        try:
            if operation == "encode":
                result = await codec.encode(payloads.payloads)
            else:
                result = await codec.decode(payloads.payloads)
        except UnknownEncryptionKey as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        except Exception:  # noqa: BLE001 - tampered ciphertext; say so without details
            log.warning(
                "codec %s failed for namespace %s",
                operation,
                request.headers.get("X-Namespace", "?"),
            )
            return JSONResponse({"error": f"{operation} failed: payload damaged or wrong key"}, 400)
        return Response(
            content=json_format.MessageToJson(Payloads(payloads=result)),
            media_type="application/json",
        )

    return app


def build_server(
    codec: PayloadCodec, host: str, port: int, allowed_origins: Sequence[str]
) -> uvicorn.Server:
    """A uvicorn server to run inside an event loop: `await server.serve()`, stop with
    `server.should_exit = True`."""
    config = uvicorn.Config(
        build_app(codec, allowed_origins),
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
    codec: PayloadCodec, host: str, port: int, allowed_origins: Sequence[str]
) -> AsyncIterator[str]:
    """Serve the codec until the context exits; yields its base URL."""
    server = build_server(codec, host, port, allowed_origins)
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
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task
