"""A customer's request, its identifiers, and what each merchant may see of them."""

from __future__ import annotations

from typing import Any

import pytest

from domain.customer import CustomerIdentifiers, PostalAddress
from domain.merchant import Merchant
from domain.request import (
    CancellationRequest,
    IdentifierLine,
    MissingIdentifiersError,
    check_request_for_merchant,
    merchant_view,
)
from tests.domain.helpers import problems_of

ADDRESS = {"street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm", "country": "se"}

FULL_CUSTOMER: dict[str, Any] = {
    "email": "eva.svensson@example.se",
    "first_name": "Eva",
    "last_name": "Svensson",
    "postal_address": ADDRESS,
    "card_last4": "4242",
    "extra": {"customer_number": "C-1001", "phone": "+46 70 123 45 67"},
}


def request(customer: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "case_id": "case-2026-0001",
        "merchant_id": "acme-streaming",
        "subscription": {"name": "Acme Premium", "account_reference": "ACC-77"},
        "locale": "sv",
        "customer": FULL_CUSTOMER if customer is None else customer,
        **fields,
    }


def merchant(*required: str) -> Merchant:
    return Merchant(
        merchant_id="acme-streaming",
        display_name="Acme Streaming",
        cancellation_emails=["cancel@acme.example"],
        required_identifiers=list(required),
    )


def test_a_complete_request_is_accepted() -> None:
    parsed = CancellationRequest.model_validate(request())

    assert parsed.case_id == "case-2026-0001"
    assert parsed.locale == "sv"
    assert parsed.customer.card_last4 == "4242"
    assert parsed.customer.extra == {"customer_number": "C-1001", "phone": "+46 70 123 45 67"}


def test_locale_defaults_to_english_and_must_be_supported() -> None:
    data = request()
    del data["locale"]
    assert CancellationRequest.model_validate(data).locale == "en"

    problems = problems_of(lambda: CancellationRequest.model_validate(request(locale="de")))
    assert problems == {"locale": "Input should be 'en' or 'sv'"}


def test_card_last4_of_four_digits_is_accepted() -> None:
    customer = CustomerIdentifiers(email="eva@example.se", card_last4="0042")

    assert customer.card_last4 == "0042"


@pytest.mark.parametrize("digits", ["424", "42a2", "12345", "", " 4242", "4242\n", "４２４２"])
def test_card_last4_must_be_exactly_four_digits(digits: str) -> None:
    problems = problems_of(
        lambda: CancellationRequest.model_validate(request({**FULL_CUSTOMER, "card_last4": digits}))
    )

    assert problems == {"customer.card_last4": "must be exactly four digits, such as '4242'"}


def test_card_last4_as_a_number_is_rejected() -> None:
    # A number would lose leading zeros (0042 -> 42), so only text is accepted.
    problems = problems_of(lambda: CustomerIdentifiers(email="eva@example.se", card_last4=42))

    assert problems == {"card_last4": "Input should be a valid string"}


@pytest.mark.parametrize(
    "email", ["eva", "eva@", "@example.se", "eva@@example.se", "eva example.se"]
)
def test_customer_email_must_be_an_email_address(email: str) -> None:
    problems = problems_of(
        lambda: CancellationRequest.model_validate(request({**FULL_CUSTOMER, "email": email}))
    )

    assert list(problems) == ["customer.email"]
    assert "not a valid email address" in problems["customer.email"]


def test_customer_email_is_required() -> None:
    customer = {k: v for k, v in FULL_CUSTOMER.items() if k != "email"}

    problems = problems_of(lambda: CancellationRequest.model_validate(request(customer)))

    assert problems == {"customer.email": "Field required"}


@pytest.mark.parametrize("name", ["customer_number", "phone", "member_id2", "x"])
def test_extra_identifiers_with_lower_case_names_are_accepted(name: str) -> None:
    customer = CustomerIdentifiers(email="eva@example.se", extra={name: "value"})

    assert customer.value_of(name) == "value"


@pytest.mark.parametrize(
    "name", ["CustomerNumber", "customer-number", "2fa_phone", "_hidden", "phone\n", "a" * 41]
)
def test_extra_identifier_names_must_be_lower_case_names(name: str) -> None:
    problems = problems_of(lambda: CustomerIdentifiers(email="eva@example.se", extra={name: "1"}))

    assert list(problems) == ["extra"]
    assert problems["extra"].startswith(f"'{name}' is not an identifier name")
    assert "such as 'customer_number'" in problems["extra"]


@pytest.mark.parametrize("name", ["email", "first_name", "card_last4", "postal_address"])
def test_a_standard_identifier_given_as_extra_is_rejected(name: str) -> None:
    problems = problems_of(lambda: CustomerIdentifiers(email="eva@example.se", extra={name: "x"}))

    assert problems == {"extra": f"'{name}' is a standard identifier; give it as its own field"}


def test_extra_identifier_values_must_not_be_blank() -> None:
    problems = problems_of(
        lambda: CustomerIdentifiers(email="eva@example.se", extra={"customer_number": "  "})
    )

    assert problems == {"extra.customer_number": "String should have at least 1 character"}


def test_names_are_trimmed() -> None:
    customer = CustomerIdentifiers(
        email="eva@example.se", first_name="  Eva ", last_name="\tSvensson"
    )

    assert (customer.first_name, customer.last_name) == ("Eva", "Svensson")


def test_unknown_customer_fields_are_rejected() -> None:
    problems = problems_of(
        lambda: CancellationRequest.model_validate(
            request({**FULL_CUSTOMER, "social_security_number": "19800101-1234"})
        )
    )

    assert problems == {"customer.social_security_number": "Extra inputs are not permitted"}


@pytest.mark.parametrize("case_id", ["abc", "case-1", "A.b_c-9", "x" * 64, "2026.03.02_order-17"])
def test_case_ids_that_are_accepted(case_id: str) -> None:
    assert CancellationRequest.model_validate(request(case_id=case_id)).case_id == case_id


@pytest.mark.parametrize(
    "case_id",
    ["ab", "x" * 65, "-case", ".case", "case 1", "case/1", "case\n1", "case-1\n", "fall-å"],
)
def test_case_ids_that_are_rejected(case_id: str) -> None:
    problems = problems_of(lambda: CancellationRequest.model_validate(request(case_id=case_id)))

    assert list(problems) == ["case_id"]
    assert problems["case_id"].startswith("must be 3-64 characters of letters, digits")


@pytest.mark.parametrize("merchant_id", ["", "-acme", "acme streaming", "acme\n", "a" * 65])
def test_merchant_ids_that_are_rejected(merchant_id: str) -> None:
    problems = problems_of(
        lambda: CancellationRequest.model_validate(request(merchant_id=merchant_id))
    )

    assert problems == {
        "merchant_id": "must be 1-64 characters of letters, digits, '.', '_' or '-', "
        "starting with a letter or digit"
    }


def test_subscription_name_is_required() -> None:
    problems = problems_of(
        lambda: CancellationRequest.model_validate(request(subscription={"name": " "}))
    )

    assert problems == {"subscription.name": "String should have at least 1 character"}


def test_postal_address_renders_on_one_line_with_an_upper_case_country() -> None:
    address = PostalAddress.model_validate(
        {"street": " Storgatan 1 ", "postal_code": "111 22", "city": "Stockholm ", "country": "se"}
    )

    assert address.one_line() == "Storgatan 1, 111 22 Stockholm, SE"


@pytest.mark.parametrize("country", ["SWE", "S", "s1", ""])
def test_postal_address_country_is_a_two_letter_code(country: str) -> None:
    problems = problems_of(lambda: PostalAddress.model_validate({**ADDRESS, "country": country}))

    assert list(problems) == ["country"]
    assert "should match pattern" in problems["country"]


def test_postal_address_problems_name_the_nested_field() -> None:
    customer = {**FULL_CUSTOMER, "postal_address": {**ADDRESS, "city": ""}}

    problems = problems_of(lambda: CancellationRequest.model_validate(request(customer)))

    assert problems == {"customer.postal_address.city": "String should have at least 1 character"}


def test_a_request_with_every_required_identifier_passes_intake() -> None:
    parsed = CancellationRequest.model_validate(request())

    check_request_for_merchant(parsed, merchant("email", "postal_address", "customer_number"))


def test_intake_names_exactly_the_missing_identifiers_in_the_merchants_order() -> None:
    parsed = CancellationRequest.model_validate(
        request({"email": "eva@example.se", "first_name": "Eva", "extra": {"phone": "+46 70"}})
    )
    strict = merchant("card_last4", "email", "customer_number", "first_name", "postal_address")

    with pytest.raises(MissingIdentifiersError) as caught:
        check_request_for_merchant(parsed, strict)

    assert caught.value.missing == ["card_last4", "customer_number", "postal_address"]
    assert caught.value.merchant_id == "acme-streaming"
    assert str(caught.value) == (
        "customer: merchant 'acme-streaming' requires identifiers that are missing: "
        "card_last4, customer_number, postal_address"
    )


def test_an_extra_identifier_only_some_merchants_need_is_missing_only_for_them() -> None:
    parsed = CancellationRequest.model_validate(request({"email": "eva@example.se"}))

    check_request_for_merchant(parsed, merchant("email"))
    with pytest.raises(MissingIdentifiersError) as caught:
        check_request_for_merchant(parsed, merchant("email", "member_number"))
    assert caught.value.missing == ["member_number"]


def test_the_merchant_sees_exactly_its_identifiers_in_its_order() -> None:
    parsed = CancellationRequest.model_validate(request())
    configured = merchant("customer_number", "postal_address", "email")

    lines = merchant_view(parsed, configured)

    assert lines == [
        IdentifierLine(name="customer_number", value="C-1001"),
        IdentifierLine(name="postal_address", value="Storgatan 1, 111 22 Stockholm, SE"),
        IdentifierLine(name="email", value="eva.svensson@example.se"),
    ]


def test_the_merchant_view_never_shows_identifiers_it_is_not_configured_for() -> None:
    parsed = CancellationRequest.model_validate(request())

    rendered = repr(merchant_view(parsed, merchant("email")))

    for withheld in ["Eva", "Svensson", "Storgatan", "4242", "C-1001", "+46 70"]:
        assert withheld not in rendered


@pytest.mark.parametrize(
    "required",
    [
        ("email",),
        ("first_name", "last_name"),
        ("card_last4", "phone"),
        ("last_name", "customer_number", "card_last4", "email", "first_name", "postal_address"),
    ],
)
def test_the_merchant_view_lists_the_configured_names_and_nothing_else(
    required: tuple[str, ...],
) -> None:
    parsed = CancellationRequest.model_validate(request())

    assert [line.name for line in merchant_view(parsed, merchant(*required))] == list(required)
