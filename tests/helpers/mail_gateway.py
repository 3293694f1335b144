"""Sending mail to the gateway under test, building merchants' replies and the case they answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import aiosmtplib
from temporalio.testing import WorkflowEnvironment

from inbound.store import ReplyAddresses
from tests.helpers.cases import awaiting_case
from tests.helpers.harness import RecordingActivities, make_merchant


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


@asynccontextmanager
async def case_with_reply_address(
    env: WorkflowEnvironment, addresses: ReplyAddresses
) -> AsyncIterator[tuple[str, str]]:
    """A case whose request went to Acme, on a worker of its own: (case_id, reply address)."""
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    async with awaiting_case(env, acts) as case_id:
        yield case_id, await addresses.address_for(case_id, "acme")
