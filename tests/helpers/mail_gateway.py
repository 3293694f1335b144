"""Sending mail to the gateway under test and building merchants' replies."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


def reply(
    to: str,
    message_id: str = "<reply-1@merchant.example>",
    body: str = "Done.",
    sender: str = "support@acme.example",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Acme Support <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: Cancellation request CF-TEST"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


async def send(port: int, message: EmailMessage | bytes, to: str) -> str:
    """Send as a merchant's mail server would; returns the gateway's answer to DATA."""
    raw = message if isinstance(message, bytes) else message.as_bytes()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as smtp:
        _, response = await smtp.sendmail("support@acme.example", [to], raw)
    return response
