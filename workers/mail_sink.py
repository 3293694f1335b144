"""The local mail sink: a real SMTP server (aiosmtpd) that files every message as an .eml file.

The folder is the store: a message is numbered once from a counter (the folder is listed
only when the sink starts), and only a small summary of each stays in memory, so a long
`cancelflow dev` session neither slows down per email nor grows without bound.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_FILE = re.compile(r"^(?P<index>[0-9]{5,})-.*\.eml$")
# <case.r1.reminder-2@domain> -> reminder-2; <ops-digest.2026-11-25@domain> -> ops-digest
_CASE_KIND = re.compile(r"\.r[0-9]+\.(?P<kind>[A-Za-z0-9-]+)@")


def kind_of(message_id: str) -> str:
    """What an email is, from the Message-ID our activities give it (activities.messages)."""
    found = _CASE_KIND.search(message_id)
    if found:
        return found.group("kind")
    local = message_id.strip("<>").split("@", 1)[0]
    return local.split(".", 1)[0] or "unknown"


def read_message(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@dataclass(frozen=True)
class MessageSummary:
    path: Path
    recipient: str
    subject: str
    kind: str
    received_at: datetime


def summarize(path: Path, message: EmailMessage | None = None) -> MessageSummary:
    message = message if message is not None else read_message(path)
    return MessageSummary(
        path=path,
        recipient=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        kind=kind_of(str(message.get("Message-ID", ""))),
        received_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
    )


def mail_files(folder: Path) -> list[Path]:
    """The sink's .eml files, oldest first (by their number)."""
    found = [(int(m.group("index")), p) for p in folder.glob("*.eml") if (m := _FILE.match(p.name))]
    return [path for _, path in sorted(found)]


def _last_number(folder: Path) -> int:
    numbers = [int(m.group("index")) for p in folder.glob("*.eml") if (m := _FILE.match(p.name))]
    return max(numbers, default=0)


class MailFolderHandler:
    """Writes each accepted message to folder/<n>-<message-id>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._next = _last_number(folder) + 1
        # This sink's messages (not earlier runs'), as summaries; the files hold the rest.
        self.received: list[MessageSummary] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message_id = str(message.get("Message-ID", "no-id")).strip("<>")
        index, self._next = self._next, self._next + 1
        path = self.folder / f"{index:05d}-{_UNSAFE.sub('_', message_id)[:120]}.eml"
        path.write_bytes(raw)
        self.received.append(summarize(path, message))
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.handler = MailFolderHandler(folder)
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    @property
    def folder(self) -> Path:
        return self.handler.folder

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages this sink received, read from their files (oldest first)."""
        return [read_message(summary.path) for summary in self.handler.received]

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
