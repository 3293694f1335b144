"""Moved from tests/integration/conftest.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from storage.db import create_pool, migrate
from tests.helpers.cli import (
    Stack,
    clean_environ,
    temporal_address,
)
from tests.helpers.operator_env import OPERATOR_ENV
from workers.mail_sink import MailSink
from workers.settings import Settings


@pytest.fixture
async def stack(
    dev_server_env: WorkflowEnvironment,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> Stack:
    # As a deployment does (its migration job), before any process or CLI command uses it:
    # outside the development stack they check the schema and leave changing it to
    # `cancelflow db migrate`.
    pool = await create_pool(database_url)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    task_queue = f"it-{uuid.uuid4().hex[:10]}"
    settings = Settings(
        var_dir=tmp_path / "var",
        DATABASE_URL=database_url,
        smtp={"host": mail_sink.host, "port": mail_sink.port},
        temporal={"task_queue": task_queue},
        log_level="INFO",
    )
    env = (
        clean_environ()
        | OPERATOR_ENV
        | {
            "TEMPORAL_ADDRESS": temporal_address(dev_server_env),
            "TEMPORAL_NAMESPACE": dev_server_env.client.namespace,
            "DATABASE_URL": database_url,
            "CANCELFLOW_VAR_DIR": str(tmp_path / "var"),
            "CANCELFLOW_SMTP__HOST": mail_sink.host,
            "CANCELFLOW_SMTP__PORT": str(mail_sink.port),
            "CANCELFLOW_TEMPORAL__TASK_QUEUE": task_queue,
        }
    )
    return Stack(settings=settings, env=env)
