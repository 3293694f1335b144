"""The development mail page: what the mail sink of `cancelflow dev` received, in a browser.

Lists the messages newest first (recipient, subject, kind) and shows each one as HTML and as
text, as Mailpit or MailDev do. Every value comes from an email, so everything is escaped;
the email's own HTML is shown in a sandboxed frame under a CSP that runs no script.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from email.message import EmailMessage
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from workers.mail_sink import MessageSummary, mail_files, read_message, summarize

PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'"
# The email's HTML: no script, no network, no forms, nothing outside the frame.
EMAIL_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #ddd; }
.kind { font-family: monospace; }
iframe { width: 100%; height: 28em; border: 1px solid #ccc; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 1em; }
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={"Content-Security-Policy": PAGE_CSP})


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


class MailViewer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Summaries are small; the messages themselves stay in their files.
        self._summaries: dict[Path, MessageSummary] = {}

    def newest_first(self) -> list[MessageSummary]:
        files = mail_files(self.folder)
        for path in files:
            if path not in self._summaries:
                self._summaries[path] = summarize(path)
        return [self._summaries[path] for path in reversed(files)]

    def _file(self, name: str) -> Path | None:
        # Only names the listing gives out: no path can leave the folder.
        matches = [path for path in mail_files(self.folder) if path.name == name]
        return matches[0] if matches else None

    async def index(self, request: Request) -> Response:
        rows = "".join(
            "<tr>"
            f"<td>{s.received_at:%Y-%m-%d %H:%M:%S}</td>"
            f"<td>{html.escape(s.recipient)}</td>"
            f"<td><a href='/messages/{html.escape(s.path.name)}'>"
            f"{html.escape(s.subject) or '(no subject)'}</a></td>"
            f"<td class='kind'>{html.escape(s.kind)}</td>"
            "</tr>"
            for s in self.newest_first()
        )
        body = (
            "<h1>Development mail</h1>"
            f"<p>{html.escape(str(self.folder))}</p>"
            "<table><thead><tr><th>Received</th><th>To</th><th>Subject</th><th>Kind</th></tr>"
            f"</thead><tbody>{rows or '<tr><td colspan=4>No mail yet.</td></tr>'}</tbody></table>"
        )
        return _page("Development mail", body)

    async def message(self, request: Request) -> Response:
        path = self._file(request.path_params["name"])
        if path is None:
            return _page("Not found", "<p>No such message. <a href='/'>All mail</a></p>", 404)
        message = read_message(path)
        summary = summarize(path, message)
        text = _part(message, "plain")
        has_html = _part(message, "html") is not None
        headers = "".join(
            f"<tr><th>{name}</th><td>{html.escape(str(message.get(name, '')))}</td></tr>"
            for name in ("From", "To", "Subject", "Date", "Message-ID")
        )
        frame = (
            f"<iframe sandbox title='HTML' src='/messages/{html.escape(path.name)}/html'></iframe>"
            if has_html
            else "<p>No HTML part.</p>"
        )
        body = (
            "<p><a href='/'>All mail</a></p>"
            f"<h1>{html.escape(summary.subject) or '(no subject)'}</h1>"
            f"<table class='headers'>{headers}"
            f"<tr><th>Kind</th><td class='kind'>{html.escape(summary.kind)}</td></tr></table>"
            f"<h2>HTML</h2>{frame}"
            f"<h2>Text</h2><pre id='text'>{html.escape(text or '(no text part)')}</pre>"
        )
        return _page(summary.subject or "Message", body)

    async def message_html(self, request: Request) -> Response:
        path = self._file(request.path_params["name"])
        content = _part(read_message(path), "html") if path else None
        if content is None:
            return Response("no HTML part", status_code=404, media_type="text/plain")
        return HTMLResponse(content, headers={"Content-Security-Policy": EMAIL_CSP})

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/messages/{name}", self.message, methods=["GET"]),
            Route("/messages/{name}/html", self.message_html, methods=["GET"]),
        ]


async def serve_mail_page(stack: AsyncExitStack, folder: Path, host: str, port: int) -> str:
    """Serve the mail page until `stack` closes; returns its URL."""
    return await stack.enter_async_context(_running_page(host, port, MailViewer(folder).routes()))


class _EmbeddedServer(uvicorn.Server):
    """The process owns SIGINT/SIGTERM, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def _running_page(host: str, port: int, routes: list[BaseRoute]) -> AsyncIterator[str]:
    from workers.observability.ops_server import OpsServerError

    config = uvicorn.Config(
        Starlette(routes=routes),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(), name="mail-page")
    while not server.started:
        if task.done():
            with contextlib.suppress(BaseException):
                task.result()
            raise OpsServerError(
                f"the mail page could not listen on {host}:{port}; is the port in use?"
            )
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task
