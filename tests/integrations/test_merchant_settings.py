"""A merchant signs in with an emailed link, changes its settings, and only new cases see it."""

from __future__ import annotations

import json
import re
import uuid

import httpx

from cases.client import case_state
from domain.case import CaseStatus
from domain.merchant import Merchant
from storage.merchant_changes import MerchantChanges
from storage.merchant_sessions import MerchantSessions
from tests.eventually import eventually
from tests.helpers.settings_portal import csrf_of, signed_in_browser  # noqa: F401
from tests.integrations.portal_stack import SettingsStack


async def loaded_merchant(stack: SettingsStack, case_id: str) -> Merchant:
    """The merchant as the case recorded it (an activity result or a local-activity marker)."""
    history = await stack.client.get_workflow_handle(f"case-{case_id}").fetch_history()
    for event in history.events:
        payloads = list(event.activity_task_completed_event_attributes.result.payloads)
        for details in event.marker_recorded_event_attributes.details.values():
            payloads += list(details.payloads)
        for payload in payloads:
            try:
                [merchant] = await stack.client.data_converter.decode([payload], [Merchant])
            except Exception:  # noqa: BLE001 - not this payload
                continue
            return merchant  # type: ignore[no-any-return]
    raise AssertionError(f"case {case_id} recorded no merchant")


async def test_sign_in_change_identifiers_and_only_new_cases_carry_them(
    stack: SettingsStack,
) -> None:
    merchant = await stack.add_merchant()
    address = str(merchant.cancellation_emails[0])
    open_case = f"open-{uuid.uuid4().hex[:8]}"
    await stack.start(merchant, open_case)

    async def awaiting() -> bool:
        return (await case_state(stack.client, open_case)).status is CaseStatus.AWAITING

    await eventually(awaiting, what="the first case to await the answer")
    await stack.until_listed(merchant, [open_case])

    http = await signed_in_browser(stack, merchant.merchant_id, address)
    page = await http.get("/merchant/settings")
    assert page.status_code == 200
    # The open requests have their own page, linked from the settings; the open request is
    # listed there with a reply link that opens its reply form.
    assert 'href="/merchant/settings/requests?lang=en"' in page.text
    page = await http.get("/merchant/settings/requests")
    assert f'data-case="{open_case}"' in page.text
    reply = re.search(r'href="(http://127\.0\.0\.1:\d+/r/[^"]+)"', page.text)
    assert reply is not None
    assert (await http.get(reply.group(1))).status_code == 200

    # A forged form (no CSRF token) changes nothing.
    forged = await http.post(
        "/merchant/settings/profile",
        data={
            "identifier": ["email"],
            "contacts": address,
            "locale": "en",
            "timezone": "Europe/Stockholm",
            "notify_by": "email_and_webhook",
        },
    )
    assert forged.status_code == 403
    # A bad value is refused at its field, in plain words that name what was typed.
    bad = await http.post(
        "/merchant/settings/profile",
        data={
            "csrf_token": csrf_of(page.text),
            "identifier": ["email", "last_name"],
            "extra_identifiers": "Customer Number!",
            "contacts": address,
            "locale": "en",
            "timezone": "Europe/Stockholm",
            "notify_by": "email_and_webhook",
        },
    )
    assert bad.status_code == 422 and 'data-testid="error-extra_identifiers"' in bad.text
    assert "cannot be used as an identifier name" in bad.text
    assert "required_identifiers" not in bad.text and "Customer Number!" in bad.text
    saved = await http.post(
        "/merchant/settings/profile",
        data={
            "csrf_token": csrf_of(page.text),
            "identifier": ["email", "last_name"],
            "extra_identifiers": "customer_number",
            "contacts": address,
            "locale": "en",
            "timezone": "Europe/Stockholm",
            "notify_by": "email_and_webhook",
        },
    )
    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    [change] = await MerchantChanges(stack.pool).list(merchant.merchant_id)
    assert change.changed_by == address and change.what == "settings.changed"
    assert change.detail["required_identifiers"]["to"] == ["email", "last_name", "customer_number"]

    new_case = f"new-{uuid.uuid4().hex[:8]}"
    await stack.start(merchant, new_case)
    await eventually(lambda: stack.mail_to(address, "CN-55501"), what="the new case's email")
    [new_email] = [t for t in stack.mail_to(address) if "CN-55501" in t]

    def delivered(case_id: str) -> dict[str, object] | None:
        for r in stack.receiver.received:
            if r.answered < 300 and r.headers["webhook-id"] == f"evt_{case_id}_requested_1_1":
                return json.loads(r.body)  # type: ignore[no-any-return]
        return None

    new_event = await eventually(lambda: delivered(new_case), what="the new case's webhook")
    names = [i["name"] for i in new_event["data"]["identifiers"]]  # type: ignore[index]
    assert names == ["email", "last_name", "customer_number"]
    old_event = await eventually(lambda: delivered(open_case), what="the open case's webhook")
    assert [i["name"] for i in old_event["data"]["identifiers"]] == ["email", "last_name"]  # type: ignore[index]
    # The open case keeps the merchant it loaded (its reminders list these identifiers).
    snapshot = await loaded_merchant(stack, open_case)
    assert snapshot.required_identifiers == ["email", "last_name"]
    assert "CN-55501" in new_email
    assert all("CN-55501" not in t for t in stack.mail_to(address) if t != new_email)
    # Signing out needs the page's token too; then the session is gone.
    assert (await http.post("/merchant/sign-out")).status_code == 303
    page = await http.get("/merchant/settings")
    assert page.status_code == 200
    await http.post("/merchant/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert (await http.get("/merchant/settings")).status_code == 303
    await http.aclose()


async def test_expired_and_reused_sign_in_links_are_refused(stack: SettingsStack) -> None:
    merchant = await stack.add_merchant()
    address = str(merchant.cancellation_emails[0])
    sessions = MerchantSessions(stack.pool)
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.own_origin) as http:
        expired = await sessions.issue_link(merchant.merchant_id, address)
        await sessions.expire_link_now(expired)
        for method in (http.get, http.post):
            page = await method(f"/merchant/sign-in/{expired}")
            assert page.status_code == 410 and "This sign-in link has expired" in page.text

        used = await sessions.issue_link(merchant.merchant_id, address)
        assert (await http.post(f"/merchant/sign-in/{used}")).status_code == 303
        again = await http.post(f"/merchant/sign-in/{used}?lang=sv")
        assert again.status_code == 410 and "Inloggningslänken har redan använts" in again.text
        unknown = await http.get("/merchant/sign-in/not-a-real-token")
        assert unknown.status_code == 404 and "not valid" in unknown.text

        # Without a session the settings redirect to sign-in; an unknown address gets the same
        # answer as a known one and no email.
        async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
            page = await anonymous.get("/merchant/settings")
            assert page.status_code == 303 and page.headers["location"] == "/merchant/sign-in"
        stranger = await http.post(
            "/merchant/sign-in",
            data={"merchant_id": merchant.merchant_id, "email": "x@evil.example"},
        )
        assert stranger.status_code == 200 and "Check your email" in stranger.text
        assert stack.mail_to("x@evil.example") == []
