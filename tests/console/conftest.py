"""One real stack for the console tests: the Temporal dev server, PostgreSQL, the SMTP sink,
the real worker, two real OpenID Connect providers (ours and another company's, sharing
signing keys so only the issuer tells them apart) and the console served by uvicorn."""

from __future__ import annotations

import asyncio
import email.policy
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from joserfc.jwk import RSAKey
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import CaseNotFound, case_state, signal_email_reply, start_case
from console.config import ConsoleSettings, Role
from console.service import running_console
from domain.actions import EmailReplyNotice
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.request import CancellationRequest
from inbound.store import InboundMailStore
from storage.db import create_pool, migrate
from storage.merchants import MerchantDirectory
from tests.conftest import TEST_VAR, free_port, fresh_database
from tests.console.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    ROLE_CLAIM,
    ROLE_VALUES,
    oidc_provider,
    through_provider,
)
from tests.eventually import eventually
from tests.portal.conftest import merchant_data, request_body
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities
from workers.worker import build_worker

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


@pytest.fixture(scope="session")
async def console_stack(
    dev_server_env: WorkflowEnvironment, postgres_server_url: str
) -> AsyncIterator[ConsoleStack]:
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="console-", dir=TEST_VAR))
    sink = MailSink(tmp / "mail", port=free_port())
    sink.start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    redirect_uri = f"{base_url}/auth/callback"
    # Both providers sign with the same key: a token of the other one passes the signature
    # check, so only its issuer can give it away.
    key = RSAKey.generate_key(2048, parameters={"kid": "shared", "use": "sig", "alg": "RS256"})
    jwks = {"keys": [key.as_dict(private=True)]}
    async with (
        fresh_database(postgres_server_url, prefix="console") as database_url,
        oidc_provider(free_port(), redirect_uri, jwks=jwks, tmp=tmp) as ours,
        oidc_provider(free_port(), redirect_uri, jwks=jwks, tmp=tmp) as theirs,
    ):
        settings = Settings(
            var_dir=TEST_VAR,
            temporal={"task_queue": f"console-tests-{uuid.uuid4().hex[:8]}"},
            smtp={"host": "127.0.0.1", "port": sink.port},
        )
        console = ConsoleSettings(
            host="127.0.0.1",
            port=port,
            issuer=ours.issuer,
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            scopes="openid profile email roles",
            role_claim=ROLE_CLAIM,
            role_values={Role(role): values for role, values in ROLE_VALUES.items()},
            session_secret=SecretStr("console-tests-session-secret-0123456789abcdef"),
            # Plain http on 127.0.0.1 (test_sign_in checks the flag production sets).
            secure_cookies=False,
            temporal_ui_url="http://temporal-ui.test",
        )
        pool = await create_pool(database_url)
        await migrate(pool)
        client = dev_server_env.client
        worker = build_worker(client, settings, build_activities(settings, pool, client))
        worker_task = asyncio.create_task(worker.run())
        try:
            async with running_console(console, client, pool, WEBHOOK_KEY) as url:
                assert url == base_url
                yield ConsoleStack(
                    base_url=base_url,
                    issuer=ours.issuer,
                    other_issuer=theirs.issuer,
                    client=client,
                    pool=pool,
                    settings=settings,
                    console=console,
                    sink=sink,
                )
        finally:
            await worker.shutdown()
            await asyncio.gather(worker_task, return_exceptions=True)
            await pool.close()
            sink.stop()
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def stack(console_stack: ConsoleStack) -> ConsoleStack:
    return console_stack
