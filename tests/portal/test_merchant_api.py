"""Merchant integration API over HTTP: list, read and answer my cases; nothing of others'."""

from __future__ import annotations

from typing import Any

import pytest

from cases.client import case_handle
from domain.actions import WithdrawalRequest
from domain.case import CaseStatus
from storage.api_keys import ApiKeyStore
from tests.eventually import eventually
from tests.helpers.portal import FIVE_ANSWERS, PortalStack, _in, answer_url

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("body", "customer_kind"), FIVE_ANSWERS, ids=[b["outcome"] for b, _ in FIVE_ANSWERS]
)
async def test_each_answer_is_recorded_and_the_customer_told(
    stack: PortalStack, body: dict[str, Any], customer_kind: str
) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)

    response = await stack.http.post(answer_url(case_id), json=body, headers=key)
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["recorded"] is True
    assert receipt["answer"]["outcome"] == body["outcome"]
    assert receipt["answer"]["channel"] == "api"
    assert receipt["customer_outcome"]["kind"] == customer_kind
    for name, value in body.items():
        assert receipt["answer"][name] == (value.strip() if name == "message" else value)

    # A binding contract keeps the case open for the follow-up; the customer is told at once.
    state = await stack.wait_until_customer_notified(case_id)
    assert state.answer is not None and state.answer.outcome.value == body["outcome"]
    [customer_email] = stack.emails_to("astrid.lindqvist@example.org", case_id)
    assert "call us" not in customer_email.as_string()

    # The same answer again is harmless; a different one is refused with the first's channel.
    again = await stack.http.post(answer_url(case_id), json=body, headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["recorded"] is False
    different = (
        {"outcome": "no_subscription_found"}
        if body["outcome"] != "no_subscription_found"
        else {"outcome": "other_reason", "message": "changed my mind"}
    )
    refused = await stack.http.post(answer_url(case_id), json=different, headers=key)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "already recorded" in refused.json()["detail"]
    assert "api" in refused.json()["detail"]


INVALID_ANSWERS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "performed in the future",
        {"outcome": "was_already_cancelled", "cancelled_on": _in(3)},
        "cancelled_on",
        "cannot be after",
    ),
    (
        "contract already expired",
        {"outcome": "binding_contract", "contract_ends_on": _in(-1)},
        "contract_ends_on",
        "cannot be before",
    ),
    ("blank message", {"outcome": "other_reason", "message": "   "}, "message", "required"),
    (
        "message too long",
        {"outcome": "other_reason", "message": "x" * 2001},
        "message",
        "at most 2000",
    ),
    ("missing message", {"outcome": "other_reason"}, "message", "required"),
    (
        "not a calendar date",
        {"outcome": "has_now_been_cancelled", "access_until": "2026-02-30"},
        "access_until",
        "date",
    ),
    (
        "date in another format",
        {"outcome": "has_now_been_cancelled", "access_until": "31/12/2026"},
        "access_until",
        "YYYY-MM-DD",
    ),
    (
        "date as a number",
        {"outcome": "has_now_been_cancelled", "access_until": 1767139200},
        "access_until",
        "YYYY-MM-DD",
    ),
    ("missing date", {"outcome": "binding_contract"}, "contract_ends_on", "required"),
    ("unknown outcome", {"outcome": "cancelled_maybe"}, "outcome", "has_now_been_cancelled"),
    ("no outcome", {"access_until": _in(5)}, "outcome", ""),
    (
        "field of another outcome",
        {"outcome": "no_subscription_found", "access_until": _in(5)},
        "access_until",
        "not permitted",
    ),
    (
        "server-side fields",
        {"outcome": "no_subscription_found", "channel": "ops"},
        "channel",
        "not permitted",
    ),
    (
        "empty responded_by",
        {"outcome": "no_subscription_found", "responded_by": " "},
        "responded_by",
        "at least 1",
    ),
    ("not an object", ["no_subscription_found"], "(body)", ""),  # type: ignore[list-item]
]


async def test_every_invalid_answer_is_refused_naming_the_field(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    for what, body, field, phrase in INVALID_ANSWERS:
        response = await stack.http.post(answer_url(case_id), json=body, headers=key)
        assert response.status_code == 422, (what, response.text)
        assert response.headers["content-type"].startswith(PROBLEM), what
        errors = response.json()["errors"]
        matching = [e for e in errors if e["field"] == field]
        assert matching, (what, errors)
        assert phrase.lower() in matching[0]["message"].lower(), (what, matching)
    not_json = await stack.http.post(
        answer_url(case_id),
        content=b"outcome=other_reason",
        headers={**key, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    too_large = await stack.http.post(
        answer_url(case_id),
        json={"outcome": "other_reason", "message": "x" * 40_000},
        headers=key,
    )
    assert too_large.status_code == 413
    # Nothing was recorded by any of these.
    state = await stack.state(case_id)
    assert state.answer is None and state.status is CaseStatus.AWAITING


async def test_another_merchants_case_is_indistinguishable_from_an_unknown_one(
    stack: PortalStack,
) -> None:
    owner = await stack.add_merchant()
    other = await stack.add_merchant()
    case_id = await stack.start(owner)
    other_key = await stack.api_key(other.merchant_id)

    foreign = await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=other_key)
    unknown = await stack.http.get("/api/v1/merchant/cases/c-does-not-exist", headers=other_key)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["title"] == unknown.json()["title"]
    assert foreign.json()["detail"].replace(case_id, "X") == unknown.json()["detail"].replace(
        "c-does-not-exist", "X"
    )
    assert "Astrid" not in foreign.text and owner.merchant_id not in foreign.text

    answered = await stack.http.post(
        answer_url(case_id), json={"outcome": "no_subscription_found"}, headers=other_key
    )
    assert answered.status_code == 404
    owner_key = await stack.api_key(owner.merchant_id)

    async def owner_lists_it() -> bool:
        own = await stack.http.get("/api/v1/merchant/cases?status=open", headers=owner_key)
        return case_id in own.text

    # Once the case is in its own merchant's list, the other merchant's still lacks it.
    await eventually(owner_lists_it, what="the case in its own merchant's open list")
    listing = await stack.http.get("/api/v1/merchant/cases?status=open", headers=other_key)
    assert listing.status_code == 200
    assert case_id not in listing.text
    assert (await stack.state(case_id)).answer is None


async def test_wrong_missing_and_revoked_keys_are_refused(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    store = ApiKeyStore(stack.pool)
    created = await store.create(merchant.merchant_id, "to revoke")
    good = {"Authorization": f"Bearer {created.key}"}
    assert (
        await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=good)
    ).status_code == 200

    tampered = created.key[:-2] + ("AA" if not created.key.endswith("AA") else "BB")
    for headers in (
        {},
        {"Authorization": "Bearer cfk_000000000000_" + "A" * 43},
        {"Authorization": f"Bearer {tampered}"},
        {"Authorization": "Bearer not-a-key"},
        stack.internal_headers,
        {"Authorization": created.key},
    ):
        for method, url in (
            ("GET", f"/api/v1/merchant/cases/{case_id}"),
            ("GET", "/api/v1/merchant/cases"),
            ("POST", answer_url(case_id)),
        ):
            response = await stack.http.request(
                method, url, headers=headers, json={"outcome": "no_subscription_found"}
            )
            assert response.status_code == 401, (headers, url)
            assert response.headers["content-type"].startswith(PROBLEM)

    revoked = await store.revoke(created.info.key_id)
    assert revoked is not None and revoked.revoked_at is not None
    after = await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=good)
    assert after.status_code == 401
    assert (await stack.state(case_id)).answer is None


async def test_list_and_read_show_only_my_configured_identifiers(stack: PortalStack) -> None:
    merchant = await stack.add_merchant(required_identifiers=["last_name", "customer_number"])
    key = await stack.api_key(merchant.merchant_id)
    first = await stack.start(merchant)
    second = await stack.start(merchant)

    async def listed() -> list[str] | None:
        response = await stack.http.get("/api/v1/merchant/cases?status=awaiting", headers=key)
        assert response.status_code == 200
        ids = [c["case_id"] for c in response.json()["cases"]]
        return ids if {first, second} <= set(ids) else None

    assert set(await eventually(listed, what="both cases in the awaiting list")) == {first, second}

    read = await stack.http.get(f"/api/v1/merchant/cases/{first}", headers=key)
    assert read.status_code == 200
    case = read.json()
    assert case["customer"] == [
        {"name": "last_name", "value": "Lindqvist"},
        {"name": "customer_number", "value": "CN-998877"},
    ]
    for secret in ("astrid.lindqvist@example.org", "Astrid", "9876", "Hemligvägen"):
        assert secret not in read.text
    assert case["reply_url"].startswith(f"{stack.base_url}/r/")
    assert (await stack.http.get(case["reply_url"])).status_code == 200

    answered = await stack.http.post(
        answer_url(first), json={"outcome": "no_subscription_found"}, headers=key
    )
    assert answered.status_code == 200
    await stack.wait_until_customer_notified(first)

    async def first_gone() -> list[str] | None:
        response = await stack.http.get("/api/v1/merchant/cases", headers=key)
        ids = [c["case_id"] for c in response.json()["cases"]]
        return ids if first not in ids else None

    assert await eventually(first_gone, what="the answered case to leave the awaiting list") == [
        second
    ]
    bad_filter = await stack.http.get("/api/v1/merchant/cases?status=whatever", headers=key)
    assert bad_filter.status_code == 422
    assert bad_filter.json()["errors"][0]["field"] == "status"


async def test_an_answer_after_the_case_closed_is_refused(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    await case_handle(stack.client, case_id).execute_update(
        "withdraw_case", WithdrawalRequest(reason="customer changed their mind")
    )
    await stack.wait_for_status(case_id, {CaseStatus.WITHDRAWN})

    response = await stack.http.post(
        answer_url(case_id), json={"outcome": "no_subscription_found"}, headers=key
    )
    assert response.status_code == 409
    assert "withdrawn" in response.json()["detail"]
    read = await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=key)
    assert read.json()["status"] == "withdrawn" and read.json()["reply_url"] is None


async def test_fifty_different_answers_at_once_record_one_and_refuse_the_rest(
    stack: PortalStack,
) -> None:
    # Temporal admits only a few in-flight Updates per workflow; the rest must wait their
    # turn, not come back as 503s.
    import asyncio

    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    bodies = [{"outcome": "has_now_been_cancelled", "access_until": _in(10 + n)} for n in range(50)]
    # What is asserted is the outcome, not the speed: on a loaded machine the Updates the
    # server aborted when the case closed are retried with backoff, past httpx's 5 s default.
    responses = await asyncio.gather(
        *(
            stack.http.post(answer_url(case_id), json=body, headers=key, timeout=60)
            for body in bodies
        )
    )
    codes = sorted(r.status_code for r in responses)
    recorded = [r for r in responses if r.status_code == 200 and r.json()["recorded"]]
    assert len(recorded) == 1, codes
    assert set(codes) <= {200, 409}, codes
    assert codes.count(409) == 49, codes
