"""Fixtures for the privacy tests (issue 20): a client and worker whose codec seals each case
under its own key, in the test's database, on the shared dev server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.merchant import Merchant
from domain.request import CancellationRequest
from storage.merchants import MerchantDirectory
from tests.integration.conftest import Stack, stack  # noqa: F401 - shared fixture
from workers.codec import CaseKeys, EncryptionKey, encrypting_converter
from workers.wiring import build_activities
from workers.worker import build_worker

MERCHANT = Merchant(
    merchant_id="privacy-gym",
    display_name="Privacy Gym",
    cancellation_emails=["cancel@privacygym.example"],
    required_identifiers=["email", "card_last4", "customer_number"],
    locale="en",
)

CUSTOMER_EMAIL = "erika.personal-77@example.org"
# Every identifier the customer gives: none may survive an erasure anywhere readable.
IDENTIFIERS = [
    CUSTOMER_EMAIL,
    "Erika",
    "Lindqvist-Sandberg",
    "Sveavägen 99",
    "CN-771199",
    "+46709998877",
]


def request(case_id: str) -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": MERCHANT.merchant_id,
            "subscription": {"name": "Platinum plan"},
            "locale": "en",
            "customer": {
                "email": CUSTOMER_EMAIL,
                "first_name": "Erika",
                "last_name": "Lindqvist-Sandberg",
                "postal_address": {
                    "street": "Sveavägen 99",
                    "postal_code": "113 50",
                    "city": "Stockholm",
                    "country": "SE",
                },
                "card_last4": "4242",
                "extra": {"customer_number": "CN-771199", "phone": "+46709998877"},
            },
        }
    )


def new_case_id(prefix: str = "pv") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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


@dataclass
class Running:
    client: Client
    stack: Stack
    pool: asyncpg.Pool


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


@asynccontextmanager
async def worker_of(client: Client, on: Stack, pool: asyncpg.Pool) -> AsyncIterator[None]:
    async with build_worker(client, on.settings, build_activities(on.settings, pool, client)):
        yield
