"""One real stack for the portal tests: Temporal dev server, PostgreSQL, the SMTP sink, the real
worker (CancellationWorkflow with the real activities) and the portal served by uvicorn.

Started once per session; every test uses its own merchants and case ids.
"""

from __future__ import annotations

import asyncio
import email.policy
import re
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import CaseNotFound, case_state
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from portal.app import create_app, serve_portal
from portal.config import PortalSettings
from storage.api_keys import ApiKeyStore
from storage.db import create_pool, migrate
from storage.merchants import MerchantDirectory
from tests.conftest import TEST_VAR, free_port, fresh_database
from tests.eventually import eventually
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities, reply_token_signer
from workers.worker import build_worker

INTERNAL_KEY = "test-internal-key-0123456789"


def merchant_data(merchant_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "merchant_id": merchant_id,
        "display_name": f"Streamio {merchant_id[-4:]}",
        "cancellation_emails": [f"cancel@{merchant_id}.example"],
        "required_identifiers": ["email", "first_name", "last_name", "customer_number"],
        "locale": "en",
        "timezone": "Europe/Stockholm",
    }
    data.update(overrides)
    return data


def request_body(case_id: str, merchant_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_id": case_id,
        "merchant_id": merchant_id,
        "subscription": {"name": "Streamio Premium", "account_reference": "ACC-42"},
        "locale": "en",
        "customer": {
            "email": "astrid.lindqvist@example.org",
            "first_name": "Astrid",
            "last_name": "Lindqvist",
            "postal_address": {
                "street": "Hemligvägen 7",
                "postal_code": "11455",
                "city": "Stockholm",
                "country": "SE",
            },
            "card_last4": "9876",
            "extra": {"customer_number": "CN-998877"},
        },
    }
    body.update(overrides)
    return body


@dataclass
class PortalStack:
    base_url: str
    database_url: str
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    sink: MailSink
    signer: ReplyTokenSigner
    http: httpx.AsyncClient

    @property
    def internal_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {INTERNAL_KEY}"}

    async def add_merchant(self, **overrides: Any) -> Merchant:
        merchant_id = overrides.pop("merchant_id", f"m-{uuid.uuid4().hex[:10]}")
        merchant = Merchant.model_validate(merchant_data(merchant_id, **overrides))
        await MerchantDirectory(self.pool).upsert(merchant)
        return merchant

    async def api_key(self, merchant_id: str) -> dict[str, str]:
        created = await ApiKeyStore(self.pool).create(merchant_id, "tests")
        return {"Authorization": f"Bearer {created.key}"}

    async def start(self, merchant: Merchant, **overrides: Any) -> str:
        """A case through the intake API, waiting until its merchant email was sent."""
        case_id = str(overrides.pop("case_id", f"c-{uuid.uuid4().hex[:12]}"))
        response = await self.http.post(
            "/api/v1/cases",
            json=request_body(case_id, merchant.merchant_id, **overrides),
            headers=self.internal_headers,
        )
        assert response.status_code == 201, response.text
        await self.wait_for_status(case_id, {CaseStatus.AWAITING})
        return case_id

    async def state(self, case_id: str) -> CaseState:
        return await case_state(self.client, case_id)

    async def wait_for_status(self, case_id: str, statuses: set[CaseStatus]) -> CaseState:
        async def probe() -> CaseState | None:
            try:
                state = await self.state(case_id)
            except CaseNotFound:
                return None
            return state if state.status in statuses else None

        return await eventually(probe, what=f"case {case_id} to reach {statuses}")

    async def wait_until_customer_notified(self, case_id: str) -> CaseState:
        async def probe() -> CaseState | None:
            state = await self.state(case_id)
            return state if state.customer_notified_at is not None else None

        return await eventually(
            probe, what=f"the customer of case {case_id} to be told the outcome"
        )

    def emails_to(self, address: str, case_id: str | None = None) -> list[EmailMessage]:
        return [
            m
            for m in self.sink.messages
            if address in str(m.get("To", ""))
            and (case_id is None or f"<{case_id}." in str(m.get("Message-ID", "")))
        ]

    async def reply_link_from_email(self, merchant: Merchant) -> str:
        """The portal link in the merchant's cancellation email, as the merchant would click it."""
        return (await self.reply_links_from_email(merchant, count=1))[0]

    async def reply_links_from_email(self, merchant: Merchant, count: int) -> list[str]:
        """The portal links of the first `count` emails to the merchant, oldest first."""
        address = str(merchant.cancellation_emails[0])

        async def probe() -> list[str] | None:
            links: list[str] = []
            for message in self.emails_to(address):
                body = message.get_body(preferencelist=("plain",))
                text = body.get_content() if body is not None else ""
                found = re.search(re.escape(self.base_url) + r"/r/[A-Za-z0-9_-]+", text)
                if found:
                    links.append(found.group(0))
            return links[:count] if len(links) >= count else None

        return await eventually(probe, what=f"{count} cancellation email(s) to {address}")

    def link_for(self, case_id: str, merchant_id: str, state: CaseState) -> str:
        token = self.signer.issue(
            case_id, merchant_id, state.round, self.signer.expiry_for(state.requested_at)
        )
        return f"{self.base_url}/r/{token}"


@pytest.fixture(scope="session")
async def portal_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url, prefix="portal") as url:
        yield url


@pytest.fixture(scope="session")
async def portal_stack(
    dev_server_env: WorkflowEnvironment, portal_database_url: str
) -> AsyncIterator[PortalStack]:
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    mail_dir = Path(tempfile.mkdtemp(prefix="portal-mail-", dir=TEST_VAR))
    sink = MailSink(mail_dir, port=free_port())
    sink.start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        var_dir=TEST_VAR,
        temporal={"task_queue": f"portal-tests-{uuid.uuid4().hex[:8]}"},
        smtp={"host": "127.0.0.1", "port": sink.port},
        portal=PortalSettings(
            host="127.0.0.1",
            port=port,
            internal_api_key=SecretStr(INTERNAL_KEY),
            secret_key=SecretStr("portal-tests-secret-key-0123456789abcdef"),
            max_body_bytes=16 * 1024,
        ),
    )
    pool = await create_pool(portal_database_url)
    await migrate(pool)
    client = dev_server_env.client
    worker = build_worker(client, settings, build_activities(settings, pool, client))
    worker_task = asyncio.create_task(worker.run())
    app = create_app(client, pool, settings.portal, settings.temporal.task_queue)
    server_task = asyncio.create_task(serve_portal(app, "127.0.0.1", port))
    # A browser posting the reply form from the portal's own page sends this Origin; tests
    # of the origin check override it.
    http = httpx.AsyncClient(base_url=base_url, timeout=20, headers={"Origin": base_url})

    async def up() -> bool:
        try:
            return (await http.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(up, what="the portal to listen")
    try:
        yield PortalStack(
            base_url=base_url,
            database_url=portal_database_url,
            client=client,
            pool=pool,
            settings=settings,
            sink=sink,
            signer=reply_token_signer(settings),
            http=http,
        )
    finally:
        await http.aclose()
        server_task.cancel()
        await asyncio.gather(server_task, return_exceptions=True)
        await worker.shutdown()
        await asyncio.gather(worker_task, return_exceptions=True)
        await pool.close()
        sink.stop()
        shutil.rmtree(mail_dir, ignore_errors=True)


@pytest.fixture
def stack(portal_stack: PortalStack) -> PortalStack:
    return portal_stack


def parse_email(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
