"""Fixtures for the ops tests: an encrypting client on the shared dev server, a migrated db."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from storage.db import migrate
from tests.conftest import free_port
from workers.codec import EncryptionCodec, EncryptionKey, encrypting_converter, new_key
from workers.codec_server import running_codec_server, ui_origins


@pytest.fixture(scope="session")
def codec_keys() -> list[EncryptionKey]:
    return [new_key("ops-test-1")]


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
async def codec_url(codec_keys: list[EncryptionKey]) -> AsyncIterator[str]:
    """The codec server, allowing the default dev UI origin (http://localhost:8233)."""
    async with running_codec_server(
        EncryptionCodec(codec_keys), "127.0.0.1", free_port(), ui_origins(8233)
    ) as url:
        yield url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    assert created is not None
    await migrate(created)
    try:
        yield created
    finally:
        await created.close()
