"""One real stack for the console tests: the Temporal dev server, PostgreSQL, the SMTP sink,
the real worker, two real OpenID Connect providers (ours and another company's, sharing
signing keys so only the issuer tells them apart) and the console served by uvicorn."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from console.config import ConsoleSettings, Role
from console.service import running_console
from storage.db import create_pool, migrate
from tests.console.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    ROLE_CLAIM,
    ROLE_VALUES,
    oidc_provider,
)
from tests.console.stack import WEBHOOK_KEY, ConsoleStack
from tests.helpers.database import fresh_database
from tests.helpers.servers import TEST_VAR, free_port
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities
from workers.worker import build_worker


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
            async with running_console(
                console, client, pool, WEBHOOK_KEY, task_queue=settings.temporal.task_queue
            ) as url:
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
