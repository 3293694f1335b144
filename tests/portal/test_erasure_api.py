"""The intake API's erasure (issue 20): an open case withdrawn then erased, asking again
acknowledged, the case still read with its personal parts gone, its reply link saying the
request is no longer available."""

from __future__ import annotations

from domain.case import CaseStatus
from tests.helpers.portal import PortalStack, request_body

ERASURE = {"reason": "customer asked through the app", "requested_by": "app:privacy"}


async def test_an_open_case_is_erased_through_the_api_and_still_reads(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    assert (await stack.http.get(link)).status_code == 200

    response = await stack.http.post(
        f"/api/v1/cases/{case_id}/erasure", json=ERASURE, headers=stack.internal_headers
    )
    assert response.status_code == 200, response.text
    first = response.json()
    assert first["withdrawn"] is True and first["already"] is False
    assert first["erased_by"] == "app:privacy" and first["reason"] == ERASURE["reason"]
    assert len(stack.emails_to(str(merchant.cancellation_emails[0]), case_id)) == 2

    again = await stack.http.post(
        f"/api/v1/cases/{case_id}/erasure", json=ERASURE, headers=stack.internal_headers
    )
    assert again.status_code == 200
    assert again.json()["already"] is True and again.json()["erased_at"] == first["erased_at"]

    read = await stack.http.get(f"/api/v1/cases/{case_id}", headers=stack.internal_headers)
    assert read.status_code == 200, read.text
    assert read.json()["status"] == CaseStatus.WITHDRAWN.value

    page = await stack.http.get(link)
    assert page.status_code == 410
    assert "no longer available" in page.text

    # The merchant's API still reads it: how it ended, without the customer's identifiers.
    mine = await stack.http.get(
        f"/api/v1/merchant/cases/{case_id}", headers=await stack.api_key(merchant.merchant_id)
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] == CaseStatus.WITHDRAWN.value and mine.json()["customer"] == []
    assert mine.json()["subscription"]["name"]
    # It takes no more requests or answers: refused with a reason, never a server error.
    withdrawal = await stack.http.post(
        f"/api/v1/cases/{case_id}/withdrawal", json={}, headers=stack.internal_headers
    )
    assert withdrawal.status_code == 409, withdrawal.text
    assert "erased on" in withdrawal.json()["detail"]
    answer = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={"outcome": "no_subscription_found"},
        headers=await stack.api_key(merchant.merchant_id),
    )
    assert answer.status_code == 409 and "erased" in answer.json()["detail"], answer.text
    again_created = await stack.http.post(
        "/api/v1/cases",
        json=request_body(case_id, merchant.merchant_id),
        headers=stack.internal_headers,
    )
    assert again_created.status_code == 409 and "erased on" in again_created.text
    other = await stack.add_merchant()
    theirs = await stack.http.get(
        f"/api/v1/merchant/cases/{case_id}", headers=await stack.api_key(other.merchant_id)
    )
    assert theirs.status_code == 404


async def test_erasure_names_the_field_and_the_unknown_case(stack: PortalStack) -> None:
    missing = await stack.http.post(
        "/api/v1/cases/no-such-case-77/erasure", json=ERASURE, headers=stack.internal_headers
    )
    assert missing.status_code == 404
    bad = await stack.http.post(
        "/api/v1/cases/no-such-case-77/erasure", json={}, headers=stack.internal_headers
    )
    assert bad.status_code == 422 and "reason" in bad.text
    unauthorised = await stack.http.post("/api/v1/cases/x-1/erasure", json=ERASURE)
    assert unauthorised.status_code == 401
