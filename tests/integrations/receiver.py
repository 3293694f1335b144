"""A real HTTPS webhook receiver for tests: records every POST, fails the first N on demand."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from tests.helpers.tls import self_signed_certificate


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class _State:
    fail_next: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class HttpsReceiver:
    """Serves https://127.0.0.1:<port>/hook with a self-signed certificate (ca_file)."""

    def __init__(self, folder: Path) -> None:
        self.ca_file, key_file = self_signed_certificate(folder, "127.0.0.1", "receiver")
        self.state = _State()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with state.lock:
                    code = 503 if state.fail_next > 0 else 204
                    state.fail_next = max(0, state.fail_next - 1)
                    state.received.append(
                        Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, code
                        )
                    )
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/hook"

    def fail_next(self, count: int) -> None:
        with self.state.lock:
            self.state.fail_next = count

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    def __enter__(self) -> HttpsReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
