"""One real stack for the portal tests: Temporal dev server, PostgreSQL, the SMTP sink, the real
worker (CancellationWorkflow with the real activities) and the portal served by uvicorn.

Started once per session; every test uses its own merchants and case ids.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from portal.app import create_app, serve_portal
from portal.config import PortalSettings
from storage.db import create_pool, migrate
from tests.eventually import eventually
from tests.helpers.database import fresh_database
from tests.helpers.portal import INTERNAL_KEY, PortalStack
from tests.helpers.servers import TEST_VAR, free_port
from workers.case_list_sync import syncing_case_list
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities, reply_token_signer
from workers.worker import build_worker


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
        async with syncing_case_list(client, pool, settings.case_list):
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
