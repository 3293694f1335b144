"""The intake API refuses bidi and invisible characters in names and the subscription with
422 naming the field (#16.8); they used to be accepted (201) and reach the merchant raw."""

from __future__ import annotations

import uuid

import pytest

from domain.request import Subscription
from domain.text import reading_recorded_text
from portal.cases import _identifiers_sent, _shown  # the data the views are built from
from tests.helpers.harness import make_merchant, make_request
from tests.helpers.portal import PortalStack, request_body


@pytest.mark.parametrize(
    ("where", "char"),
    [
        (("customer", "first_name"), "\u202e"),
        (("customer", "last_name"), "\u2066"),
        (("customer", "last_name"), "\u2069"),
        (("subscription", "name"), "\u200b"),
        (("subscription", "name"), "\ufeff"),
        (("customer", "first_name"), "\u2028"),
    ],
)
async def test_hidden_characters_are_refused_naming_the_field(
    stack: PortalStack, where: tuple[str, str], char: str
) -> None:
    merchant = await stack.add_merchant()
    body = request_body(f"c-{uuid.uuid4().hex[:12]}", merchant.merchant_id)
    body["customer"]["first_name"] = "Anna"
    body["customer"]["last_name"] = "Lindqvist"
    section, field = where
    body[section][field] = f"Anna{char}gpj.exe"
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.internal_headers)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors[f"{section}.{field}"].startswith(
        f"must not contain invisible or text-direction characters: found U+{ord(char):04X}"
    )


def test_the_merchant_views_write_out_hidden_characters_of_recorded_text() -> None:
    with reading_recorded_text():
        request = make_request(
            "c-hidden-1", subscription=Subscription(name="Plus\u202egpj.exe")
        ).model_copy()
        customer = request.customer.model_copy(update={"first_name": "An\u2066na"})
        request = request.model_copy(update={"customer": customer})
    merchant = make_merchant()
    shown = dict((line.name, line.value) for line in _identifiers_sent(request, merchant, merchant))
    assert shown["first_name"] == "An[U+2066]na"
    assert _shown(request).subscription.name == "Plus[U+202E]gpj.exe"
