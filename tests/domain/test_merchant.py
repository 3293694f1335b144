"""A merchant's configuration: where emails go, what it may see, its zone and its policy."""

from __future__ import annotations

from typing import Any

import pytest

from domain.merchant import Merchant, ResponsePolicy
from tests.domain.helpers import problems_of


def merchant(**fields: Any) -> Merchant:
    return Merchant.model_validate(
        {
            "merchant_id": "acme",
            "display_name": "Acme AB",
            "cancellation_emails": ["cancel@acme.example"],
            **fields,
        }
    )


def test_defaults_are_sane() -> None:
    acme = merchant()

    assert acme.locale == "en"
    assert acme.timezone == "Europe/Stockholm"
    assert acme.country == "SE"
    assert acme.required_identifiers == ["email", "first_name", "last_name"]
    assert acme.notice_period_days == 30
    policy = acme.response_policy
    assert policy == ResponsePolicy()
    assert 1 <= policy.first_reminder_after < policy.second_reminder_after < policy.escalate_after
    assert policy.repeat_reminder_every >= 1


def test_the_default_identifier_list_is_not_shared_between_merchants() -> None:
    # A mutable default shared by every merchant would leak one merchant's identifiers to another.
    assert merchant().required_identifiers is not merchant().required_identifiers


@pytest.mark.parametrize(
    "zone", ["Europe/Stockholm", "Pacific/Auckland", "America/Sao_Paulo", "UTC"]
)
def test_iana_time_zones_are_accepted(zone: str) -> None:
    assert merchant(timezone=zone).timezone == zone


@pytest.mark.parametrize(
    "zone", ["CET+1", "Europe/Stockolm", "Stockholm", "Europe", "", "../etc/passwd"]
)
def test_a_time_zone_must_be_an_iana_name(zone: str) -> None:
    problems = problems_of(lambda: merchant(timezone=zone))

    assert problems == {"timezone": f"'{zone}' is not an IANA time zone such as 'Europe/Stockholm'"}


@pytest.mark.parametrize(("given", "stored"), [("SE", "SE"), ("nz", "NZ"), (" de ", "DE")])
def test_country_codes_are_two_letters_stored_upper_case(given: str, stored: str) -> None:
    assert merchant(country=given).country == stored


@pytest.mark.parametrize("country", ["SWE", "S", "S3", "", "Sweden"])
def test_a_country_must_be_a_two_letter_code(country: str) -> None:
    problems = problems_of(lambda: merchant(country=country))

    assert list(problems) == ["country"]
    assert "should match pattern" in problems["country"]


def test_locale_must_be_supported() -> None:
    assert merchant(locale="sv").locale == "sv"
    assert problems_of(lambda: merchant(locale="fi")) == {"locale": "Input should be 'en' or 'sv'"}


def test_at_least_one_cancellation_address_is_required() -> None:
    problems = problems_of(lambda: merchant(cancellation_emails=[]))

    assert list(problems) == ["cancellation_emails"]
    assert "at least 1 item" in problems["cancellation_emails"]


def test_every_cancellation_address_must_be_an_email_address() -> None:
    problems = problems_of(
        lambda: merchant(cancellation_emails=["cancel@acme.example", "not an address"])
    )

    assert list(problems) == ["cancellation_emails.1"]
    assert "not a valid email address" in problems["cancellation_emails.1"]


def test_required_identifiers_may_name_extra_identifiers() -> None:
    acme = merchant(required_identifiers=["customer_number", "email", "card_last4"])

    assert acme.required_identifiers == ["customer_number", "email", "card_last4"]


@pytest.mark.parametrize("name", ["Customer Number", "phone\n", "e-mail"])
def test_required_identifiers_must_be_identifier_names(name: str) -> None:
    problems = problems_of(lambda: merchant(required_identifiers=["email", name]))

    assert list(problems) == ["required_identifiers.1"]
    assert problems["required_identifiers.1"].startswith(f"'{name}' is not an identifier name")


def test_required_identifiers_cannot_be_empty() -> None:
    problems = problems_of(lambda: merchant(required_identifiers=[]))

    assert list(problems) == ["required_identifiers"]


def test_a_duplicate_required_identifier_is_rejected_naming_it() -> None:
    problems = problems_of(
        lambda: merchant(required_identifiers=["email", "customer_number", "customer_number"])
    )

    assert problems == {"required_identifiers": "lists 'customer_number' twice"}


def test_a_response_policy_in_order_is_accepted() -> None:
    policy = ResponsePolicy(
        first_reminder_after=1, second_reminder_after=2, escalate_after=3, repeat_reminder_every=1
    )

    assert merchant(response_policy=policy.model_dump()).response_policy == policy


@pytest.mark.parametrize(
    "steps",
    [
        {"first_reminder_after": 5, "second_reminder_after": 5, "escalate_after": 10},
        {"first_reminder_after": 6, "second_reminder_after": 3, "escalate_after": 10},
        {"first_reminder_after": 3, "second_reminder_after": 10, "escalate_after": 10},
        {"first_reminder_after": 3, "second_reminder_after": 12, "escalate_after": 10},
    ],
)
def test_a_response_policy_out_of_order_is_rejected(steps: dict[str, int]) -> None:
    problems = problems_of(lambda: merchant(response_policy=steps))

    assert problems == {
        "response_policy": "must satisfy first_reminder_after < second_reminder_after "
        "< escalate_after"
    }


@pytest.mark.parametrize(
    "field",
    ["first_reminder_after", "second_reminder_after", "escalate_after", "repeat_reminder_every"],
)
def test_response_policy_steps_are_at_least_one_business_day(field: str) -> None:
    problems = problems_of(lambda: ResponsePolicy.model_validate({field: 0}))

    assert problems == {field: "Input should be greater than or equal to 1"}


def test_merchant_fields_are_checked_by_name() -> None:
    problems = problems_of(lambda: merchant(cancel_email="x@acme.example"))

    assert problems == {"cancel_email": "Extra inputs are not permitted"}
