"""Login CSRF and cross-site forms on the settings portal (issue 16 #7): the sign-in link, the
sign-in and sign-out forms and every settings form take posts from the portal's own origin
only, by the reply form's check (Origin, else Referer), on top of their CSRF tokens."""

from __future__ import annotations

import re

import httpx
import pytest

from storage.merchants import MerchantDirectory
from tests.helpers.settings_portal import csrf_of, merchant_with_link
from tests.integrations.portal_stack import SettingsStack

FOREIGN: list[dict[str, str]] = [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page"},
    {},
]
FOREIGN_IDS = ["foreign-origin", "null-origin", "foreign-referer", "neither"]


@pytest.mark.parametrize("headers", FOREIGN, ids=FOREIGN_IDS)
async def test_a_foreign_site_cannot_sign_a_visitor_in(
    stack: SettingsStack, headers: dict[str, str]
) -> None:
    _, token = await merchant_with_link(stack)
    async with httpx.AsyncClient(base_url=stack.base_url) as visitor:
        forged = await visitor.post(f"/merchant/sign-in/{token}", headers=headers)
        assert forged.status_code == 403
        assert "cf_merchant_session" not in forged.headers.get("set-cookie", "")
        assert "sent from another site" in forged.text
        # The link was not used up: its genuine holder still signs in with it.
        genuine = await visitor.post(f"/merchant/sign-in/{token}", headers=stack.own_origin)
        assert genuine.status_code == 303 and "cf_merchant_session" in genuine.headers["set-cookie"]


async def test_the_settings_forms_refuse_a_valid_token_from_another_origin(
    stack: SettingsStack,
) -> None:
    merchant, token = await merchant_with_link(stack)
    address = str(merchant.cancellation_emails[0])
    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        await http.post(f"/merchant/sign-in/{token}", headers=stack.own_origin)
        page = await http.get("/merchant/settings")
        csrf = csrf_of(page.text)
        key = await http.post(
            "/merchant/settings/keys",
            data={"csrf_token": csrf, "label": "k"},
            headers=stack.own_origin,
        )
        key_id = re.search(r"cfk_([a-z0-9]+)_", key.text)
        assert key.status_code == 200 and key_id is not None
        endpoint = re.search(r'data-endpoint="([^"]+)"', key.text)
        assert endpoint is not None
        profile: dict[str, str | list[str]] = {
            "csrf_token": csrf,
            "identifier": ["email"],
            "contacts": address,
            "locale": "sv",
            "timezone": "Europe/London",
            "notify_by": "email",
        }
        forms: list[tuple[str, dict[str, str | list[str]]]] = [
            ("/merchant/settings/profile", profile),
            ("/merchant/settings/webhooks", {"csrf_token": csrf, "url": "https://a.example/h"}),
            (
                f"/merchant/settings/webhooks/{endpoint.group(1)}/remove",
                {"csrf_token": csrf, "confirmed": "yes"},
            ),
            (f"/merchant/settings/webhooks/{endpoint.group(1)}/test", {"csrf_token": csrf}),
            ("/merchant/settings/keys", {"csrf_token": csrf, "label": "forged"}),
            (
                f"/merchant/settings/keys/{key_id.group(1)}/revoke",
                {"csrf_token": csrf, "confirmed": "yes"},
            ),
            ("/merchant/sign-out", {"csrf_token": csrf}),
        ]
        received = len(stack.receiver.received)
        for headers in FOREIGN:
            for path, data in forms:
                response = await http.post(path, data=data, headers=headers)
                if path == "/merchant/sign-out":
                    # Still signed in: sign-out sends the merchant back to its settings.
                    assert response.status_code == 303
                    assert response.headers["location"].startswith("/merchant/settings")
                else:
                    assert response.status_code == 403, (path, headers, response.status_code)
                    assert "sent from another site" in response.text
        assert len(stack.receiver.received) == received, "a forged test event was sent"
        still = await http.get("/merchant/settings")
        assert still.status_code == 200 and "cfk_" in still.text
        assert "forged" not in still.text and "a.example" not in still.text
        assert "revoked" not in still.text
        stored = await MerchantDirectory(stack.pool).get(merchant.merchant_id)
        assert stored == merchant

        # The portal's own Referer (a browser that sends no Origin) is taken.
        own_referer = {"Referer": f"{stack.base_url}/merchant/settings"}
        saved = await http.post("/merchant/settings/profile", data=profile, headers=own_referer)
        assert saved.status_code == 200 and 'data-testid="saved"' in saved.text


@pytest.mark.parametrize("headers", FOREIGN[:2], ids=FOREIGN_IDS[:2])
async def test_a_foreign_site_cannot_ask_for_sign_in_emails(
    stack: SettingsStack, headers: dict[str, str]
) -> None:
    merchant = await stack.add_merchant()
    address = str(merchant.cancellation_emails[0])
    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        forged = await http.post("/merchant/sign-in", data={"email": address}, headers=headers)
        assert forged.status_code == 403
        genuine = await http.post(
            "/merchant/sign-in", data={"email": address}, headers=stack.own_origin
        )
        assert genuine.status_code == 200
    # Sent after the forged one: once its link is here, a forged link would be too.
    await stack.sign_in_link(address)
    assert len(stack.mail_to(address)) == 1
