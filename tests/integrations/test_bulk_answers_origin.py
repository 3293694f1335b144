"""The bulk forms (answer the selected requests, upload a spreadsheet) take posts from the
portal's own origin only, as every settings form does, on top of their CSRF tokens: a foreign
page with a valid token records nothing."""

from __future__ import annotations

import uuid

import httpx

from tests.helpers.settings_portal import csrf_of, merchant_with_link
from tests.integrations.portal_stack import SettingsStack

HEADER = "case_id,outcome,access_until,cancelled_on,contract_ends_on,message\r\n"


async def test_a_foreign_origin_cannot_answer_in_bulk(stack: SettingsStack) -> None:
    _, token = await merchant_with_link(stack)
    case_id = f"o-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=stack.base_url) as http:
        await http.post(f"/merchant/sign-in/{token}", headers=stack.own_origin)
        page = await http.get("/merchant/settings/requests")
        csrf = csrf_of(page.text)
        selection = {"csrf_token": csrf, "case_id": [case_id]}
        selection |= {"outcome": "no_subscription_found"}
        upload = {"file": ("a.csv", f"{HEADER}{case_id},no_subscription_found,,,,\r\n")}
        for headers in ({"Origin": "http://evil.example"}, {}):
            forged = await http.post(
                "/merchant/settings/requests/answer", data=selection, headers=headers
            )
            assert forged.status_code == 403
            forged = await http.post(
                "/merchant/settings/requests/upload",
                data={"csrf_token": csrf},
                files=upload,
                headers=headers,
            )
            assert forged.status_code == 403
        recent = await http.get("/merchant/settings/requests")
        assert 'data-testid="recent-batches"' not in recent.text
        genuine = await http.post(
            "/merchant/settings/requests/answer", data=selection, headers=stack.own_origin
        )
        assert genuine.status_code == 303
        assert genuine.headers["location"].startswith("/merchant/settings/batches/bat_")
