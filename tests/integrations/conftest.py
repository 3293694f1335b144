"""Fixtures for merchant integrations: a migrated database, a webhook merchant, an HTTPS
receiver trusted through a CA file, and the webhook stores and activity built from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from activities.webhooks import WebhookActivities
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from integrations.config import WebhookSettings
from integrations.webhooks import WebhookSender
from storage.merchants import MerchantDirectory
from storage.webhooks import SecretBox, WebhookDeliveries, WebhookEndpoints
from tests.helpers.webhooks import PORTAL_BASE_URL, SECRETS_KEY, webhook_merchant
from tests.integrations.receiver import HttpsReceiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[HttpsReceiver]:
    with HttpsReceiver(tmp_path) as receiver:
        yield receiver


@pytest.fixture
def webhook_settings(receiver: HttpsReceiver) -> WebhookSettings:
    return WebhookSettings(
        secrets_key=SecretStr(SECRETS_KEY),
        ca_file=str(receiver.ca_file),
        # The receiver is on this machine.
        allow_insecure_localhost=True,
    )


@pytest.fixture
def endpoints(pool: asyncpg.Pool) -> WebhookEndpoints:
    return WebhookEndpoints(pool, SecretBox(SECRETS_KEY))


@pytest.fixture
async def merchant_in_directory(pool: asyncpg.Pool) -> Merchant:
    merchant = webhook_merchant()
    await MerchantDirectory(pool).upsert(merchant)
    return merchant


@pytest.fixture
def signer() -> ReplyTokenSigner:
    return ReplyTokenSigner("a-test-secret-of-enough-length-0123456789")


@pytest.fixture
def webhook_activities(
    pool: asyncpg.Pool,
    endpoints: WebhookEndpoints,
    webhook_settings: WebhookSettings,
    signer: ReplyTokenSigner,
) -> WebhookActivities:
    return WebhookActivities(
        endpoints=endpoints,
        deliveries=WebhookDeliveries(pool),
        sender=WebhookSender(webhook_settings),
        links=signer,
        portal_base_url=PORTAL_BASE_URL,
    )
