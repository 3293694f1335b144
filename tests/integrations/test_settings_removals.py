"""Removing a webhook endpoint and revoking an API key ask first, and answer an id that is not
the merchant's as they always did (issue 17 shared their flow): an unknown endpoint is a 404,
an unknown key the settings page without a notice; a Yes makes the change and logs it."""

from __future__ import annotations

import re

import httpx

from tests.helpers.settings_portal import csrf_of, merchant_with_link
from tests.integrations.portal_stack import SettingsStack

CONFIRM = 'data-testid="confirm-action"'
NOTICE = 'data-testid="saved"'


async def test_removals_ask_first_and_refuse_ids_of_others(stack: SettingsStack) -> None:
    merchant, token = await merchant_with_link(stack)
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.own_origin) as http:
        await http.post(f"/merchant/sign-in/{token}")
        page = await http.get("/merchant/settings")
        csrf = csrf_of(page.text)
        key = await http.post("/merchant/settings/keys", data={"csrf_token": csrf, "label": "ci"})
        key_id = re.search(r"cfk_([a-z0-9]+)_", key.text)
        endpoint = re.search(r'data-endpoint="([^"]+)"', key.text)
        assert key_id is not None and endpoint is not None
        ask = {"csrf_token": csrf}
        yes = {"csrf_token": csrf, "confirmed": "yes"}
        key_path = f"/merchant/settings/keys/{key_id.group(1)}/revoke"
        endpoint_path = f"/merchant/settings/webhooks/{endpoint.group(1)}/remove"

        # Ids that are not this merchant's.
        unknown_key = await http.post("/merchant/settings/keys/000000000000/revoke", data=ask)
        assert unknown_key.status_code == 200
        assert CONFIRM not in unknown_key.text and NOTICE not in unknown_key.text
        unknown_endpoint = await http.post("/merchant/settings/webhooks/nope/remove", data=ask)
        assert unknown_endpoint.status_code == 404 and CONFIRM not in unknown_endpoint.text
        for path in (
            "/merchant/settings/keys/000000000000/revoke",
            "/merchant/settings/webhooks/nope/remove",
        ):
            answered = await http.post(path, data=yes)
            assert answered.status_code == 200 and NOTICE not in answered.text, path

        # The question first: the thing named, its Yes posting back to the same path.
        for path, named in ((key_path, "ci"), (endpoint_path, "http")):
            question = await http.post(path, data=ask)
            assert question.status_code == 200 and CONFIRM in question.text, path
            assert named in question.text and f'action="{path}?lang=' in question.text
        still = await http.get("/merchant/settings")
        assert "The API key was revoked." not in still.text

        revoked = await http.post(key_path, data=yes)
        assert revoked.status_code == 200 and "The API key was revoked." in revoked.text
        removed = await http.post(endpoint_path, data=yes)
        assert removed.status_code == 200 and "The webhook endpoint was removed." in removed.text
        log = await stack.pool.fetch(
            "SELECT what FROM merchant_changes WHERE merchant_id = $1 ORDER BY what",
            merchant.merchant_id,
        )
        whats = [r["what"] for r in log]
        assert whats.count("api_key.revoked") == 1 and whats.count("webhook.removed") == 1
