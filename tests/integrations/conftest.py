"""Fixtures for merchant integrations: a migrated database, a webhook merchant, an HTTPS
receiver trusted through a CA file, the webhook stores and activity built from them, and the
merchant settings portal running (`stack`)."""

from __future__ import annotations

import asyncpg
import pytest

from activities.webhooks import WebhookActivities
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from integrations.config import WebhookSettings
from integrations.webhooks import WebhookSender
from storage.merchants import MerchantDirectory
from storage.webhooks import WebhookDeliveries, WebhookEndpoints
from tests.helpers.settings_portal import stack  # noqa: F401
from tests.helpers.webhook_fixtures import endpoints, receiver, webhook_settings  # noqa: F401
from tests.helpers.webhooks import PORTAL_BASE_URL, webhook_merchant


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
