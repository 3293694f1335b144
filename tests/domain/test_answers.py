"""The merchant's answer: the guide's five outcomes, each with only its own fields and rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.answers import (
    OTHER_REASON_MAX_CHARS,
    BindingContract,
    HasNowBeenCancelled,
    NoSubscriptionFound,
    OtherReason,
    Outcome,
    WasAlreadyCancelled,
    parse_answer,
)
from domain.case import AnswerReceipt
from domain.common import Channel
from tests.domain.helpers import problems_of

ANSWERED_AT = "2026-03-02T10:00:00+01:00"  # a Monday, Stockholm winter time


def answer(outcome: str, **fields: Any) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "answered_at": ANSWERED_AT,
        "channel": "portal",
        "responded_by": "anna@acme.example",
        **fields,
    }


# Each outcome with exactly its own fields, and a field that belongs to another outcome.
VARIANTS: list[tuple[str, type, dict[str, Any], dict[str, Any]]] = [
    (
        "has_now_been_cancelled",
        HasNowBeenCancelled,
        {"access_until": "2026-03-31"},
        {"cancelled_on": "2026-03-01"},
    ),
    (
        "was_already_cancelled",
        WasAlreadyCancelled,
        {"cancelled_on": "2026-02-14"},
        {"access_until": "2026-03-31"},
    ),
    (
        "binding_contract",
        BindingContract,
        {"contract_ends_on": "2026-12-31"},
        {"message": "we cannot"},
    ),
    ("no_subscription_found", NoSubscriptionFound, {}, {"contract_ends_on": "2026-12-31"}),
    (
        "other_reason",
        OtherReason,
        {"message": "The account is under a fraud investigation."},
        {"access_until": "2026-03-31"},
    ),
]


def test_there_are_exactly_the_guides_five_outcomes() -> None:
    assert {o.value for o in Outcome} == {v[0] for v in VARIANTS}


@pytest.mark.parametrize(
    ("outcome", "model", "own", "foreign"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_each_outcome_is_accepted_with_its_own_fields(
    outcome: str, model: type, own: dict[str, Any], foreign: dict[str, Any]
) -> None:
    parsed = parse_answer(answer(outcome, **own))

    assert isinstance(parsed, model)
    assert parsed.outcome == outcome
    assert parsed.answered_at == datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert parsed.channel is Channel.PORTAL
    assert parsed.responded_by == "anna@acme.example"
    for name, value in own.items():
        assert str(getattr(parsed, name)) == value


@pytest.mark.parametrize(
    ("outcome", "model", "own", "foreign"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_each_outcome_rejects_another_outcomes_field(
    outcome: str, model: type, own: dict[str, Any], foreign: dict[str, Any]
) -> None:
    problems = problems_of(lambda: parse_answer(answer(outcome, **own, **foreign)))

    (field,) = foreign
    assert problems == {field: "Extra inputs are not permitted"}


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ("has_now_been_cancelled", "access_until"),
        ("was_already_cancelled", "cancelled_on"),
        ("binding_contract", "contract_ends_on"),
    ],
)
def test_a_dated_outcome_needs_its_date(outcome: str, field: str) -> None:
    assert problems_of(lambda: parse_answer(answer(outcome))) == {field: "Field required"}


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ("has_now_been_cancelled", "access_until"),
        ("was_already_cancelled", "cancelled_on"),
        ("binding_contract", "contract_ends_on"),
    ],
)
def test_dates_must_be_real_calendar_dates(outcome: str, field: str) -> None:
    problems = problems_of(lambda: parse_answer(answer(outcome, **{field: "2026-02-30"})))

    assert list(problems) == [field]
    assert "day value is outside expected range" in problems[field]


def test_a_leap_day_is_a_real_date_only_in_a_leap_year() -> None:
    ok = parse_answer(answer("binding_contract", contract_ends_on="2028-02-29"))
    assert isinstance(ok, BindingContract)
    assert ok.contract_ends_on == date(2028, 2, 29)

    problems = problems_of(
        lambda: parse_answer(answer("binding_contract", contract_ends_on="2027-02-29"))
    )
    assert list(problems) == ["contract_ends_on"]


def test_cancelled_on_may_be_the_day_of_the_answer() -> None:
    parsed = parse_answer(answer("was_already_cancelled", cancelled_on="2026-03-02"))

    assert isinstance(parsed, WasAlreadyCancelled)
    assert parsed.cancelled_on == date(2026, 3, 2)


def test_cancelled_on_cannot_be_after_the_day_of_the_answer() -> None:
    problems = problems_of(
        lambda: parse_answer(answer("was_already_cancelled", cancelled_on="2026-03-03"))
    )

    assert problems == {
        "cancelled_on": "the date the cancellation was performed (2026-03-03) "
        "cannot be after the date of the answer (2026-03-02)"
    }


def test_the_day_of_the_answer_is_the_local_day_where_it_was_given() -> None:
    # 22:30 UTC on 2 March is already 11:30 on 3 March in Auckland: a merchant there who
    # cancelled "today" means 3 March, while the same instant in UTC is still 2 March.
    late_in_auckland = "2026-03-03T11:30:00+13:00"
    parsed = parse_answer(
        answer("was_already_cancelled", cancelled_on="2026-03-03", answered_at=late_in_auckland)
    )
    assert isinstance(parsed, WasAlreadyCancelled)

    problems = problems_of(
        lambda: parse_answer(
            answer(
                "was_already_cancelled",
                cancelled_on="2026-03-03",
                answered_at="2026-03-02T22:30:00+00:00",
            )
        )
    )
    assert list(problems) == ["cancelled_on"]


def test_contract_may_end_on_the_day_of_the_answer() -> None:
    parsed = parse_answer(answer("binding_contract", contract_ends_on="2026-03-02"))

    assert isinstance(parsed, BindingContract)
    assert parsed.contract_ends_on == date(2026, 3, 2)


def test_contract_cannot_have_ended_before_the_day_of_the_answer() -> None:
    problems = problems_of(
        lambda: parse_answer(answer("binding_contract", contract_ends_on="2026-03-01"))
    )

    assert problems == {
        "contract_ends_on": "the date the binding contract expires (2026-03-01) "
        "cannot be before the date of the answer (2026-03-02)"
    }


def test_a_past_access_date_is_allowed_for_has_now_been_cancelled() -> None:
    # The guide sets no rule on it: access may already have ended when the merchant answers.
    parsed = parse_answer(answer("has_now_been_cancelled", access_until="2026-02-01"))

    assert isinstance(parsed, HasNowBeenCancelled)


def test_other_reason_message_is_trimmed() -> None:
    parsed = parse_answer(answer("other_reason", message="  \n Customer owes us money.\t "))

    assert isinstance(parsed, OtherReason)
    assert parsed.message == "Customer owes us money."


@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_other_reason_message_is_required(blank: str) -> None:
    problems = problems_of(lambda: parse_answer(answer("other_reason", message=blank)))

    assert problems == {"message": "a message explaining the other reason is required"}


def test_other_reason_without_message_names_the_field() -> None:
    assert problems_of(lambda: parse_answer(answer("other_reason"))) == {
        "message": "Field required"
    }


def test_other_reason_message_of_exactly_2000_characters_is_accepted() -> None:
    text = "x" * OTHER_REASON_MAX_CHARS
    parsed = parse_answer(answer("other_reason", message=f"  {text}  "))

    assert OTHER_REASON_MAX_CHARS == 2000
    assert isinstance(parsed, OtherReason)
    assert parsed.message == text


def test_other_reason_message_of_2001_characters_is_rejected_with_the_count() -> None:
    problems = problems_of(lambda: parse_answer(answer("other_reason", message="y" * 2001)))

    assert problems == {"message": "must be at most 2000 characters (it has 2001)"}


def test_answered_at_must_carry_a_time_zone() -> None:
    problems = problems_of(
        lambda: parse_answer(answer("no_subscription_found", answered_at="2026-03-02T10:00:00"))
    )

    assert problems == {"answered_at": "Input should have timezone info"}


@pytest.mark.parametrize("channel", ["portal", "api", "email", "ops"])
def test_every_channel_is_accepted(channel: str) -> None:
    parsed = parse_answer(answer("no_subscription_found", channel=channel))

    assert parsed.channel == channel


@pytest.mark.parametrize("channel", ["fax", "Portal", ""])
def test_an_unknown_channel_is_rejected_listing_the_channels(channel: str) -> None:
    problems = problems_of(lambda: parse_answer(answer("no_subscription_found", channel=channel)))

    assert problems == {"channel": "Input should be 'portal', 'api', 'email' or 'ops'"}


@pytest.mark.parametrize("who", ["", "   "])
def test_responded_by_is_required(who: str) -> None:
    problems = problems_of(lambda: parse_answer(answer("no_subscription_found", responded_by=who)))

    assert problems == {"responded_by": "String should have at least 1 character"}


def test_responded_by_missing_names_the_field() -> None:
    data = answer("no_subscription_found")
    del data["responded_by"]

    assert problems_of(lambda: parse_answer(data)) == {"responded_by": "Field required"}


def test_several_problems_are_reported_together() -> None:
    data = answer("no_subscription_found", answered_at="2026-03-02T10:00:00", channel="fax")
    del data["responded_by"]

    assert set(problems_of(lambda: parse_answer(data))) == {
        "answered_at",
        "channel",
        "responded_by",
    }


def test_an_unknown_outcome_names_the_field_and_the_five_outcomes() -> None:
    problems = problems_of(lambda: parse_answer(answer("refunded")))

    assert problems == {
        "outcome": "'refunded' is not one of: has_now_been_cancelled, was_already_cancelled, "
        "binding_contract, no_subscription_found, other_reason"
    }


def test_a_missing_outcome_names_the_field() -> None:
    data = answer("no_subscription_found")
    del data["outcome"]

    assert problems_of(lambda: parse_answer(data)) == {"outcome": "is required"}


def test_same_outcome_ignores_when_how_and_by_whom() -> None:
    portal = parse_answer(answer("has_now_been_cancelled", access_until="2026-03-31"))
    by_email = parse_answer(
        answer(
            "has_now_been_cancelled",
            access_until="2026-03-31",
            answered_at="2026-03-04T08:15:00+00:00",
            channel="email",
            responded_by="support@acme.example",
            reference="<reply-1@acme.example>",
        )
    )

    assert portal.same_outcome_as(by_email)
    assert by_email.same_outcome_as(portal)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            answer("has_now_been_cancelled", access_until="2026-03-31"),
            answer("has_now_been_cancelled", access_until="2026-04-01"),
        ),
        (
            answer("has_now_been_cancelled", access_until="2026-03-31"),
            answer("binding_contract", contract_ends_on="2026-03-31"),
        ),
        (
            answer("other_reason", message="Fraud investigation"),
            answer("other_reason", message="Unpaid invoices"),
        ),
        (
            answer("no_subscription_found"),
            answer("other_reason", message="No subscription found"),
        ),
    ],
    ids=["other date", "other outcome, same date", "other message", "other outcome, no fields"],
)
def test_same_outcome_sees_a_different_outcome_or_field(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert not parse_answer(first).same_outcome_as(parse_answer(second))
    assert not parse_answer(second).same_outcome_as(parse_answer(first))


def test_answers_cannot_be_changed_after_validation() -> None:
    parsed = parse_answer(answer("has_now_been_cancelled", access_until="2026-03-31"))
    assert isinstance(parsed, HasNowBeenCancelled)

    with pytest.raises(ValueError, match="frozen"):
        parsed.access_until = date(2030, 1, 1)  # type: ignore[misc]


def test_an_answer_survives_a_json_round_trip() -> None:
    original = parse_answer(answer("other_reason", message="Fraud investigation"))

    again = parse_answer(original.model_dump(mode="json"))

    assert again == original


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (answer("was_already_cancelled", cancelled_on="2026-03-05"), "answer.cancelled_on"),
        (answer("binding_contract", contract_ends_on="2026-02-01"), "answer.contract_ends_on"),
        (answer("other_reason", message=" "), "answer.message"),
        (answer("refunded"), "answer.outcome"),
    ],
)
def test_problems_of_an_answer_inside_another_model_name_the_path(
    data: dict[str, Any], field: str
) -> None:
    problems = problems_of(
        lambda: AnswerReceipt.model_validate(
            {"case_id": "case-1", "recorded": True, "status": "closed", "answer": data}
        )
    )

    assert list(problems) == [field]
