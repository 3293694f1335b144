"""Fixtures for the privacy tests (issue 20): a client and worker whose codec seals each case
under its own key, in the test's database, on the shared dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from storage.merchants import MerchantDirectory
from tests.helpers.cli import Stack
from tests.helpers.cli_stack import stack  # noqa: F401 - the shared fixture
from tests.helpers.privacy import MERCHANT, Running, worker_of
from workers.codec import CaseKeys, EncryptionKey, encrypting_converter


@pytest.fixture
def case_keys(pool: asyncpg.Pool, codec_keys: list[EncryptionKey]) -> CaseKeys:
    async def the_pool() -> asyncpg.Pool:
        return pool

    return CaseKeys(codec_keys, the_pool)


@pytest.fixture
async def keyed_client(
    dev_server_env: WorkflowEnvironment, codec_keys: list[EncryptionKey], case_keys: CaseKeys
) -> Client:
    plain = dev_server_env.client
    return await Client.connect(
        plain.service_client.config.target_host,
        namespace=plain.namespace,
        data_converter=encrypting_converter(codec_keys, case_keys),
    )


@pytest.fixture
async def running(
    keyed_client: Client,
    stack: Stack,  # noqa: F811 - the shared fixture, imported above
    pool: asyncpg.Pool,
) -> AsyncIterator[Running]:
    """A worker with every activity, sealing payloads under case keys."""
    await MerchantDirectory(pool).upsert(MERCHANT)
    async with worker_of(keyed_client, stack, pool):
        yield Running(keyed_client, stack, pool)
