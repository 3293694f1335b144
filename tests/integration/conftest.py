"""Helpers for tests that run the real processes: workers, the CLI, `cancelflow dev`."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from storage.db import create_pool, migrate
from tests.operator_env import OPERATOR_ENV
from workers.mail_sink import MailSink
from workers.settings import Settings

CANCELFLOW = str(Path(sys.executable).parent / "cancelflow")


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def temporal_address(env: WorkflowEnvironment) -> str:
    return str(env.client.service_client.config.target_host)


def clean_environ() -> dict[str, str]:
    """This process's environment without settings that would point a child elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CANCELFLOW_", "TEMPORAL_")) and key != "DATABASE_URL"
    }


@dataclass(frozen=True)
class Stack:
    """The test's servers as settings and as the environment of a child process."""

    settings: Settings
    env: dict[str, str]


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


async def run_cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> CliResult:
    """Run `cancelflow ARGS` as a child process without blocking the test's event loop
    (an in-process worker must keep running while the CLI waits for the workflow)."""
    process = await asyncio.create_subprocess_exec(
        CANCELFLOW,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())
