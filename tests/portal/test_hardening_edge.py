"""Issue 9 at the portal's edge: control characters (#1), the 404 page's links (#6), merchant
text kept from the intake API (#8), the reply form's origin check (#9), the OpenAPI error
bodies (#15). Each test runs on the real stack and failed before its fix."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cases.client import signal_email_reply
from domain.actions import EmailReplyNotice
from domain.case import CaseStatus
from tests.helpers.portal import PortalStack, request_body

PROBLEM = "application/problem+json"
CONTROL_RULE = "must not contain control characters"


def _case_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def _errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def test_control_characters_are_refused_at_the_intake_api_naming_the_field(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant()
    body = request_body(_case_id(), merchant.merchant_id)
    body["subscription"] = {"name": "Streamio\x00Premium"}
    body["customer"] = {**body["customer"], "extra": {"customer_number": "CN-\x1b[2J1"}}
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    errors = _errors(response)
    assert errors["subscription.name"].startswith(CONTROL_RULE)
    assert errors["customer.extra.customer_number"].startswith(CONTROL_RULE)

    # An unpaired surrogate, written as a JSON escape, is refused too (not a 500).
    raw = response.request.content.decode().replace("Streamio\\u0000Premium", "Stream\\ud800io")
    surrogate = await stack.http.post(
        "/api/v1/cases",
        content=raw,
        headers={**stack.internal_headers, "Content-Type": "application/json"},
    )
    assert "U+D800" in _errors(surrogate)["subscription.name"]


async def test_control_characters_are_refused_in_withdrawals_corrections_and_answers(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    withdrawal = await stack.http.post(
        f"/api/v1/cases/{case_id}/withdrawal",
        json={"reason": "changed\x00my mind", "requested_by": "customer\r\nforged line"},
        headers=stack.internal_headers,
    )
    errors = _errors(withdrawal)
    assert errors["reason"].startswith(CONTROL_RULE) and "U+0000" in errors["reason"]
    assert errors["requested_by"].startswith(CONTROL_RULE) and "U+000D" in errors["requested_by"]

    customer = {**request_body(case_id, merchant.merchant_id)["customer"], "last_name": "L\x07"}
    correction = await stack.http.post(
        f"/api/v1/cases/{case_id}/corrections",
        json={"customer": customer},
        headers=stack.internal_headers,
    )
    assert _errors(correction)["customer.last_name"].startswith(CONTROL_RULE)

    answer = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={"outcome": "other_reason", "message": "Line one\nline two\x00", "responded_by": "K"},
        headers=key,
    )
    assert _errors(answer)["message"].startswith(CONTROL_RULE)
    state = await stack.state(case_id)
    assert state.answer is None and state.status is CaseStatus.AWAITING


async def test_the_reply_form_refuses_a_control_character_in_the_message(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    page = await stack.http.get(link)
    response = await stack.http.post(
        link,
        data={
            "csrf_token": _form_token(page.text),
            "choice": "could_not_be_cancelled",
            "reason": "other_reason",
            "message": "Business\r\naccount\x00",
        },
        cookies={"cf_csrf": page.cookies["cf_csrf"]},
    )
    assert response.status_code == 422
    assert "invisible control character" in response.text
    assert (await stack.state(case_id)).answer is None


async def _raw_get(stack: PortalStack, target: str) -> tuple[int, str]:
    """A request line exactly as given: httpx would normalise '//host/path'."""
    parts = urlsplit(stack.base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.decode("utf-8", "replace").partition("\r\n\r\n")
    return int(head.split(" ", 2)[1]), body


@pytest.mark.parametrize(
    "target", ["//evil.example/phish", "//evil.example/phish?lang=sv", "/\\evil.example/x"]
)
async def test_the_404_page_links_only_to_the_portal(stack: PortalStack, target: str) -> None:
    status, body = await _raw_get(stack, target)
    assert status == 404
    assert 'data-testid="error-page"' in body
    links = re.findall(r'(?:href|action)="([^"]*)"', body)
    assert links, body[:500]
    for link in links:
        assert "evil.example" not in link, link
        # A scheme-relative or absolute link could leave the site; ours never are.
        assert not link.startswith("//") and "://" not in link, link
    assert 'href="?lang=sv"' in body or 'href="?lang=en"' in body


async def test_the_intake_api_gives_only_outcome_data(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    case_id = await stack.start(merchant)
    await signal_email_reply(
        stack.client,
        case_id,
        EmailReplyNotice(
            message_id="<SECRET-MSGID@merchant.example>",
            sender="SECRET-SENDER@merchant.example",
            subject="Re: SECRET-SUBJECT",
            received_at=datetime.now(UTC),
        ),
    )
    answered = await stack.http.post(
        f"/api/v1/merchant/cases/{case_id}/answer",
        json={
            "outcome": "other_reason",
            "message": "SECRET-MESSAGE",
            "responded_by": "SECRET-RESPONDER",
        },
        headers=key,
    )
    assert answered.status_code == 200, answered.text
    state = await stack.wait_until_customer_notified(case_id)
    assert state.email_replies and state.answer is not None  # the case does hold them

    status = await stack.http.get(f"/api/v1/cases/{case_id}", headers=stack.internal_headers)
    assert status.status_code == 200
    assert status.json()["answer"]["outcome"] == "other_reason"
    assert status.json()["customer_outcome"]["kind"] == "not_cancelled"
    assert "SECRET" not in status.text, status.text

    schema = (await stack.http.get("/api/v1/openapi.json")).json()["components"]["schemas"]
    out = schema["CaseOut"]["properties"]
    assert not {"email_replies", "responded_by", "snooze_reason", "failure"} & set(out)


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "null"}, False),
        ({"Referer": "https://evil.example/page"}, False),
        ({}, False),
        ("own referer", True),
        ("own origin", True),
    ],
    ids=["foreign-origin", "null-origin", "foreign-referer", "neither", "referer", "origin"],
)
async def test_the_reply_form_takes_posts_from_its_own_origin_only(
    stack: PortalStack, headers: dict[str, str] | str, accepted: bool
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    if isinstance(headers, dict):
        sent: dict[str, Any] = headers
    else:
        sent = {"Referer": link} if headers == "own referer" else {"Origin": stack.base_url}
    # A client without the suite's default Origin: each case sends exactly its headers.
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=20) as http:
        page = await http.get(link)
        response = await http.post(
            link,
            data={
                "csrf_token": _form_token(page.text),
                "choice": "could_not_be_cancelled",
                "reason": "no_subscription_found",
            },
            headers=sent,
        )
    state = await stack.state(case_id)
    if accepted:
        assert response.status_code == 303, response.text[:300]
        assert state.answer is not None
    else:
        # The valid CSRF token and cookie alone are not enough.
        assert response.status_code == 403
        assert state.answer is None


async def test_openapi_declares_the_problem_bodies_that_are_sent(stack: PortalStack) -> None:
    document = (await stack.http.get("/api/v1/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]
    assert {"title", "status"} <= set(problem["required"])
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/v1/")
    ]
    assert len(operations) >= 7
    for path, method, operation in operations:
        responses = operation["responses"]
        assert {"500", "503"} <= set(responses), (path, method)
        for status, response in responses.items():
            if int(status) < 400:
                continue
            assert response["content"] == {
                PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (path, method, status)
        assert "Retry-After" in responses["503"]["headers"], (path, method)

    # What is sent matches what is declared.
    unknown = await stack.http.get("/api/v1/cases/c-no-such-case", headers=stack.internal_headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM
    assert set(unknown.json()) <= set(problem["properties"])
