"""Intake API over HTTP: idempotent on case_id, conflicts, validation, internal key."""

from __future__ import annotations

import uuid

from domain.case import CaseStatus
from tests.eventually import eventually
from tests.helpers.portal import PortalStack, request_body

PROBLEM = "application/problem+json"


def _case_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


async def test_create_then_same_body_returns_the_existing_case(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    body = request_body(_case_id(), merchant.merchant_id)

    first = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert first.status_code == 201, first.text
    assert first.json()["case_id"] == body["case_id"]
    assert first.json()["reference"].startswith("CF-")

    again = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert again.status_code == 200, again.text
    assert again.json()["case_id"] == body["case_id"]

    # One case, one merchant email.
    await stack.reply_link_from_email(merchant)
    assert len(stack.emails_to(str(merchant.cancellation_emails[0]))) == 1

    status = await stack.http.get(
        f"/api/v1/cases/{body['case_id']}", headers=stack.internal_headers
    )
    assert status.status_code == 200
    assert status.json()["merchant_id"] == merchant.merchant_id
    assert status.json()["status"] in {"starting", "awaiting"}


async def test_different_body_under_the_same_case_id_is_a_conflict(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = _case_id()
    body = request_body(case_id, merchant.merchant_id)
    created = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert created.status_code == 201

    changed = request_body(case_id, merchant.merchant_id, subscription={"name": "Other plan"})
    conflict = await stack.http.post("/api/v1/cases", json=changed, headers=stack.internal_headers)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith(PROBLEM)
    assert case_id in conflict.json()["detail"]


async def test_unknown_merchant_is_refused_naming_merchant_id(stack: PortalStack) -> None:
    body = request_body(_case_id(), "no-such-merchant")
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    [error] = response.json()["errors"]
    assert error["field"] == "merchant_id"
    assert "no-such-merchant" in error["message"]


async def test_missing_required_identifiers_are_named(stack: PortalStack) -> None:
    merchant = await stack.add_merchant(
        required_identifiers=["email", "card_last4", "customer_number"]
    )
    body = request_body(_case_id(), merchant.merchant_id)
    del body["customer"]["card_last4"]
    body["customer"]["extra"] = {}
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"customer.card_last4", "customer.customer_number"}


async def test_invalid_request_fields_are_named_with_their_rule(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    body = request_body(_case_id(), merchant.merchant_id)
    body["customer"]["card_last4"] = "12ab"
    body["customer"]["email"] = "not-an-address"
    body["locale"] = "de"
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "four digits" in errors["customer.card_last4"]
    assert "customer.email" in errors
    assert "locale" in errors


async def test_malformed_json_and_oversized_bodies_are_refused(stack: PortalStack) -> None:
    broken = await stack.http.post(
        "/api/v1/cases",
        content=b'{"case_id": ',
        headers={**stack.internal_headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.headers["content-type"].startswith(PROBLEM)

    huge = request_body(_case_id(), "whoever", padding="x" * 20_000)
    too_large = await stack.http.post("/api/v1/cases", json=huge, headers=stack.internal_headers)
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith(PROBLEM)


async def test_intake_requires_the_internal_key(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    body = request_body(_case_id(), merchant.merchant_id)
    merchant_key = await stack.api_key(merchant.merchant_id)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        merchant_key,
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ):
        response = await stack.http.post("/api/v1/cases", json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.headers["www-authenticate"] == "Bearer"
    read = await stack.http.get(f"/api/v1/cases/{body['case_id']}")
    assert read.status_code == 401


async def test_reading_an_unknown_case_is_404(stack: PortalStack) -> None:
    for case_id in ("never-made-123", "x" * 300, "bad id with spaces"):
        response = await stack.http.get(f"/api/v1/cases/{case_id}", headers=stack.internal_headers)
        assert response.status_code == 404, case_id
        assert response.headers["content-type"].startswith(PROBLEM)


async def test_openapi_document_is_served(stack: PortalStack) -> None:
    response = await stack.http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/merchant/cases",
        "/api/v1/merchant/cases/{case_id}",
        "/api/v1/merchant/cases/{case_id}/answer",
    } <= set(paths)
    assert not any(p.startswith("/r/") for p in paths)


async def test_the_customer_withdraws_through_the_intake_api(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    url = f"/api/v1/cases/{case_id}/withdrawal"

    unauthenticated = await stack.http.post(url, json={"reason": "changed my mind"})
    assert unauthenticated.status_code == 401

    withdrawn = await stack.http.post(
        url, json={"reason": "changed my mind"}, headers=stack.internal_headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    final = await stack.wait_for_status(case_id, {CaseStatus.WITHDRAWN})
    assert final.withdrawal_reason == "changed my mind"

    # The merchant is told to disregard the request: a second email to it.
    async def disregard_sent() -> bool:
        return len(stack.emails_to(str(merchant.cancellation_emails[0]))) == 2

    await eventually(disregard_sent, what="the withdrawal email to the merchant")

    again = await stack.http.post(url, json={}, headers=stack.internal_headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith(PROBLEM)
    assert "withdrawn" in again.json()["detail"]

    unknown = await stack.http.post(
        f"/api/v1/cases/{_case_id()}/withdrawal", json={}, headers=stack.internal_headers
    )
    assert unknown.status_code == 404


async def test_corrected_details_go_to_the_merchant_as_round_two(stack: PortalStack) -> None:
    merchant = await stack.add_merchant(required_identifiers=["email", "card_last4"])
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    url = f"/api/v1/cases/{case_id}/corrections"
    corrected = {"customer": {"email": "new.address@example.org", "card_last4": "9911"}}

    too_early = await stack.http.post(url, json=corrected, headers=stack.internal_headers)
    assert too_early.status_code == 409
    assert "no subscription" in too_early.json()["detail"]

    answered = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={"outcome": "no_subscription_found"},
        headers=key,
    )
    assert answered.status_code == 200, answered.text
    await stack.wait_for_status(case_id, {CaseStatus.FOLLOW_UP})

    incomplete = await stack.http.post(
        url, json={"customer": {"email": "new.address@example.org"}}, headers=stack.internal_headers
    )
    assert incomplete.status_code == 409
    assert "card_last4" in incomplete.json()["detail"]
    invalid = await stack.http.post(
        url,
        json={"customer": {"email": "x@example.org", "card_last4": "99"}},
        headers=stack.internal_headers,
    )
    assert invalid.status_code == 422
    assert any(e["field"] == "customer.card_last4" for e in invalid.json()["errors"])

    accepted = await stack.http.post(url, json=corrected, headers=stack.internal_headers)
    assert accepted.status_code == 200, accepted.text

    async def round_two() -> bool:
        state = await stack.state(case_id)
        return state.round == 2 and state.status is CaseStatus.AWAITING

    await eventually(round_two, what="round two")

    async def second_request() -> bool:
        return len(stack.emails_to(str(merchant.cancellation_emails[0]))) == 2

    await eventually(second_request, what="the round-two request email")
    merchant_mails = stack.emails_to(str(merchant.cancellation_emails[0]))
    body = merchant_mails[-1].get_body(preferencelist=("plain",))
    assert body is not None and "9911" in body.get_content()


async def test_our_systems_never_get_the_merchants_free_text(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    secret = "Customer is under a fraud investigation"
    answered = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={"outcome": "other_reason", "message": secret},
        headers=key,
    )
    assert answered.status_code == 200, answered.text
    await stack.wait_until_customer_notified(case_id)

    status = await stack.http.get(f"/api/v1/cases/{case_id}", headers=stack.internal_headers)
    assert status.status_code == 200
    assert secret not in status.text
    assert status.json()["answer"]["outcome"] == "other_reason"
    assert status.json()["customer_outcome"]["kind"] == "not_cancelled"
