"""Moved from tests/integrations/conftest.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from integrations.config import WebhookSettings
from storage.webhooks import SecretBox, WebhookEndpoints
from tests.helpers.webhooks import SECRETS_KEY
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
