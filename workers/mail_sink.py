"""The local mail sink: a real SMTP server (aiosmtpd) that files every message as an .eml file."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class MailFolderHandler:
    """Writes each accepted message to folder/<n>-<message-id>.eml and keeps it in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message_id = str(message.get("Message-ID", "no-id")).strip("<>")
        index = len(list(self.folder.glob("*.eml"))) + 1
        path = self.folder / f"{index:05d}-{_UNSAFE.sub('_', message_id)[:120]}.eml"
        path.write_bytes(raw)
        self.messages.append(message)
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
        return self.handler.messages

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
