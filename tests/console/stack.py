"""The console tests' stack as a test sees it: the console's address and both providers, the
case door, and ways to sign in, make merchants and cases and deliver a merchant's reply."""

from __future__ import annotations

import email.policy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from cases.client import CaseNotFound, case_state, signal_email_reply, start_case
from console.config import ConsoleSettings
from domain.actions import EmailReplyNotice
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.request import CancellationRequest
from inbound.store import InboundMailStore
from storage.merchants import MerchantDirectory
from tests.console.oidc_provider import (
    through_provider,
)
from tests.eventually import eventually
from tests.helpers.portal import merchant_data, request_body
from workers.mail_sink import MailSink
from workers.settings import Settings

WEBHOOK_KEY = "console-tests-webhook-secrets-key-0123456789"


@dataclass
class ConsoleStack:
    base_url: str
    issuer: str
    other_issuer: str
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    console: ConsoleSettings
    sink: MailSink

    def http(self) -> httpx.AsyncClient:
        """A browser of its own: cookies, the console's Origin on its forms."""
        return httpx.AsyncClient(
            base_url=self.base_url, timeout=30, headers={"Origin": self.base_url}
        )

    async def sign_in(self, login: str, http: httpx.AsyncClient) -> None:
        """Sign `http` in as `login` through the real provider."""
        start = await http.get("/auth/sign-in")
        assert start.status_code in (302, 303, 307), start.text
        back = await through_provider(http, start, login, back_to=f"{self.base_url}/auth/callback")
        done = await http.get(back.headers["location"])
        assert done.status_code == 303, done.text

    async def add_merchant(self, **overrides: Any) -> Merchant:
        merchant_id = overrides.pop("merchant_id", f"m-{uuid.uuid4().hex[:10]}")
        merchant = Merchant.model_validate(merchant_data(merchant_id, **overrides))
        await MerchantDirectory(self.pool).upsert(merchant)
        return merchant

    async def merchant(self, merchant_id: str) -> Merchant | None:
        return await MerchantDirectory(self.pool).get(merchant_id)

    async def start(self, merchant: Merchant) -> str:
        case_id = f"c-{uuid.uuid4().hex[:12]}"
        request = CancellationRequest.model_validate(request_body(case_id, merchant.merchant_id))
        await start_case(self.client, request, self.settings.temporal.task_queue)
        await self.wait_for(case_id, lambda s: s.status == CaseStatus.AWAITING and bool(s.emails))
        return case_id

    async def state(self, case_id: str) -> CaseState:
        return await case_state(self.client, case_id)

    async def wait_for(self, case_id: str, accept: Any) -> CaseState:
        async def probe() -> CaseState | None:
            try:
                state = await self.state(case_id)
            except CaseNotFound:
                return None
            return state if accept(state) else None

        return await eventually(probe, what=f"case {case_id} to change")

    async def reply(
        self, case_id: str, merchant: Merchant, *, subject: str, text: str, message_id: str
    ) -> None:
        """The merchant's email reply, stored and told to the case as the mail gateway does."""
        message = EmailMessage(policy=email.policy.default)
        message["From"] = str(merchant.cancellation_emails[0])
        message["To"] = "reply@reply.cancelflow.test"
        message["Subject"] = subject
        message["Message-ID"] = f"<{message_id}>"
        message.set_content(text)
        received = datetime.now(UTC)
        stored = await InboundMailStore(self.pool).store(
            case_id,
            message_id,
            str(merchant.cancellation_emails[0]),
            subject,
            message.as_bytes(),
            received,
        )
        notice = EmailReplyNotice(
            message_id=message_id,
            sender=stored.reply.sender,
            subject=subject,
            received_at=received,
        )
        await signal_email_reply(self.client, case_id, notice)
        await InboundMailStore(self.pool).mark_signalled(stored.reply.id)
        await self.wait_for(case_id, lambda s: s.status == CaseStatus.NEEDS_TRIAGE)
