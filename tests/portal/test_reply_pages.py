"""Reply pages over plain HTTP: rounds, languages, limits and what never shows."""

from __future__ import annotations

import re

from cases.client import case_handle
from domain.actions import DetailsCorrection
from domain.case import CaseStatus
from domain.customer import CustomerIdentifiers
from tests.eventually import eventually
from tests.helpers.portal import PortalStack


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


async def test_a_link_from_an_earlier_round_points_to_the_latest_email(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    answered = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={"outcome": "no_subscription_found"},
        headers=key,
    )
    assert answered.status_code == 200
    await stack.wait_until_customer_notified(case_id)

    corrected = CustomerIdentifiers(
        email="astrid.lindqvist@example.org",
        first_name="Astrid",
        last_name="Lindqvist",
        extra={"customer_number": "CN-111222"},
    )
    await case_handle(stack.client, case_id).execute_update(
        "correct_customer_details", DetailsCorrection(customer=corrected)
    )

    async def second_round() -> bool:
        state = await stack.state(case_id)
        return state.round == 2 and state.status is CaseStatus.AWAITING

    await eventually(second_round, what="the second round to wait for the merchant")
    old_link, new_link = await stack.reply_links_from_email(merchant, count=2)
    assert old_link != new_link

    old = await stack.http.get(old_link)
    assert old.status_code == 410
    assert "This link is for an earlier request" in old.text
    assert "CN-998877" not in old.text and "CN-111222" not in old.text

    new = await stack.http.get(new_link)
    assert new.status_code == 200
    assert "CN-111222" in new.text and "CN-998877" not in new.text


async def test_swedish_errors_and_the_language_of_the_form_survive_a_refusal(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant(locale="sv")
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    page = await stack.http.get(link)
    assert '<html lang="sv">' in page.text
    form = {
        "csrf_token": _form_token(page.text),
        "lang": "sv",
        "choice": "could_not_be_cancelled",
        "reason": "binding_contract",
        "contract_ends_on": "2026-02-31",
    }
    cookies = {"cf_csrf": page.cookies["cf_csrf"]}
    refused = await stack.http.post(link, data=form, cookies=cookies)
    assert refused.status_code == 422
    assert "Ange ett riktigt datum" in refused.text
    assert 'value="2026-02-31"' in refused.text
    assert (await stack.state(case_id)).answer is None

    english = await stack.http.get(f"{link}?lang=en")
    assert "Send" in english.text and '<html lang="en">' in english.text
    other = await stack.http.get(f"{link}?lang=xx")
    assert '<html lang="sv">' in other.text


async def test_pages_are_not_cached_framed_or_leaking_the_token(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    page = await stack.http.get(link)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_an_oversized_form_is_refused_without_recording(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    page = await stack.http.get(link)
    form = {
        "csrf_token": _form_token(page.text),
        "choice": "could_not_be_cancelled",
        "reason": "other_reason",
        "message": "x" * 50_000,
    }
    response = await stack.http.post(link, data=form, cookies={"cf_csrf": page.cookies["cf_csrf"]})
    assert response.status_code == 413
    assert (await stack.state(case_id)).answer is None


async def test_unknown_pages_get_the_portal_not_a_stack_trace(stack: PortalStack) -> None:
    response = await stack.http.get("/r/")
    assert response.status_code == 404
    assert "Traceback" not in response.text
    api = await stack.http.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
