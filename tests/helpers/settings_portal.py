"""The merchant settings portal as its tests drive it: the running stack, a merchant's sign-in
and the CSRF token of a page (here so that no test module imports another, tests/test_layout.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.merchant import Merchant
from storage.merchant_sessions import MerchantSessions
from tests.integrations.portal_stack import SettingsStack, settings_stack


@pytest.fixture
async def stack(
    dev_server_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> AsyncIterator[SettingsStack]:
    """Registered by the conftest files of the folders whose tests use it."""
    async with settings_stack(dev_server_env, database_url, tmp_path) as stack:
        yield stack


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def signed_in_browser(
    stack: SettingsStack, merchant_id: str, address: str
) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=stack.base_url, timeout=20, headers=stack.own_origin)
    sent = await http.post("/merchant/sign-in", data={"merchant_id": merchant_id, "email": address})
    assert sent.status_code == 200 and "Check your email" in sent.text
    link = await stack.sign_in_link(address)
    confirm = await http.get(link)
    assert confirm.status_code == 200 and address in confirm.text
    done = await http.post(link)
    assert done.status_code == 303 and done.headers["location"] == "/merchant/settings"
    return http


async def merchant_with_link(stack: SettingsStack) -> tuple[Merchant, str]:
    """A new merchant and the token of a sign-in link for its first cancellation address."""
    merchant = await stack.add_merchant()
    address = str(merchant.cancellation_emails[0])
    return merchant, await MerchantSessions(stack.pool).issue_link(merchant.merchant_id, address)
