"""Moved from tests/integrations/test_merchant_settings.py so that no test module imports another (tests/test_layout.py)."""

from __future__ import annotations

import re

import httpx

from tests.integrations.portal_stack import SettingsStack


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
