"""A real stack for the merchant settings tests: Temporal dev server, PostgreSQL, the mail sink,
the real worker (with webhook delivery to an HTTPS receiver) and the portal with its settings
pages, served by uvicorn."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import start_case
from domain.case import OPEN_STATUSES
from domain.merchant import Merchant
from domain.request import CancellationRequest
from portal.app import create_app, serve_portal
from portal.config import PortalSettings
from storage.case_list import CaseList
from storage.db import create_pool, migrate
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.servers import free_port
from tests.integrations.receiver import HttpsReceiver
from workers.case_list_sync import syncing_case_list
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities, merchant_settings_config, webhook_endpoints
from workers.worker import build_worker

SECRETS_KEY = "portal-integrations-webhook-key"


@dataclass
class SettingsStack:
    base_url: str
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    sink: MailSink
    receiver: HttpsReceiver

    @property
    def own_origin(self) -> dict[str, str]:
        """The Origin a browser sends with the portal's own forms (they check it)."""
        return {"Origin": self.base_url}

    async def add_merchant(self, **fields: Any) -> Merchant:
        merchant_id = f"m-{uuid.uuid4().hex[:8]}"
        merchant = Merchant.model_validate(
            {
                "merchant_id": merchant_id,
                "display_name": f"Hooked {merchant_id[-4:]}",
                "cancellation_emails": [f"desk@{merchant_id}.example"],
                "required_identifiers": ["email", "last_name"],
                "notify_by": "email_and_webhook",
                **fields,
            }
        )
        await MerchantDirectory(self.pool).upsert(merchant)
        await webhook_endpoints(self.settings, self.pool).add(
            merchant_id, self.receiver.url, ["cancellation.requested"], "tests"
        )
        return merchant

    async def start(self, merchant: Merchant, case_id: str) -> None:
        request = CancellationRequest.model_validate(
            {
                "case_id": case_id,
                "merchant_id": merchant.merchant_id,
                "subscription": {"name": "Hooked Plus"},
                "locale": "en",
                "customer": {
                    "email": "vera.holm@example.org",
                    "last_name": "Holm",
                    "extra": {"customer_number": "CN-55501"},
                },
            }
        )
        await start_case(self.client, request, self.settings.temporal.task_queue)

    async def until_listed(self, merchant: Merchant, case_ids: Iterable[str]) -> None:
        """Until the merchant's open lists (the read model, a sync tick behind) show these."""
        wanted, case_list = set(case_ids), CaseList(self.pool)

        async def listed() -> bool:
            cases = await case_list.open_cases(merchant.merchant_id, OPEN_STATUSES)
            return wanted <= {c.case_id for c in cases}

        await eventually(listed, what=f"{len(wanted)} case(s) in the merchant's open list")

    def mail_to(self, address: str, containing: str = "") -> list[str]:
        texts = []
        for message in self.sink.messages:
            if address in str(message.get("To", "")):
                body = message.get_body(preferencelist=("plain",))
                text = str(body.get_content()) if body is not None else ""
                if containing in text or containing in str(message.get("Subject", "")):
                    texts.append(text)
        return texts

    async def sign_in_link(self, address: str, count: int = 1) -> str:
        pattern = re.escape(self.base_url) + r"/merchant/sign-in/[A-Za-z0-9_-]+"

        def links() -> list[str] | None:
            found = [m.group(0) for t in self.mail_to(address) if (m := re.search(pattern, t))]
            return found if len(found) >= count else None

        return (await eventually(links, what=f"sign-in link #{count} to {address}"))[-1]


@asynccontextmanager
async def settings_stack(
    env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> AsyncIterator[SettingsStack]:
    port = free_port()
    with MailSink(tmp_path / "mail", port=free_port()) as sink, HttpsReceiver(tmp_path) as receiver:
        settings = Settings(
            var_dir=tmp_path / "var",
            temporal={"task_queue": f"settings-{uuid.uuid4().hex[:8]}"},
            smtp={"host": sink.host, "port": sink.port},
            portal=PortalSettings(
                host="127.0.0.1",
                port=port,
                secret_key=SecretStr("settings-tests-secret-key-0123456789abcdef"),
            ),
            webhooks={
                "secrets_key": SECRETS_KEY,
                "ca_file": str(receiver.ca_file),
                "allow_insecure_localhost": True,
            },
        )
        pool = await create_pool(database_url)
        await migrate(pool)
        worker = build_worker(env.client, settings, build_activities(settings, pool, env.client))
        worker_task = asyncio.create_task(worker.run())
        config = merchant_settings_config(settings)
        assert config is not None
        app = create_app(
            env.client,
            pool,
            settings.portal,
            settings.temporal.task_queue,
            merchant_settings=config,
        )
        server = asyncio.create_task(serve_portal(app, "127.0.0.1", port))
        base_url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base_url) as probe:

                async def up() -> bool:
                    try:
                        return (await probe.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await eventually(up, what="the portal to listen")
            async with syncing_case_list(env.client, pool, settings.case_list):
                yield SettingsStack(base_url, env.client, pool, settings, sink, receiver)
        finally:
            server.cancel()
            await asyncio.gather(server, return_exceptions=True)
            await worker.shutdown()
            await asyncio.gather(worker_task, return_exceptions=True)
            await pool.close()
