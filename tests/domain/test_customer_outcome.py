"""What the customer is told: derived from the outcome alone, never the merchant's words."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.answers import parse_answer
from domain.customer_outcome import CustomerOutcome, CustomerOutcomeKind, customer_outcome_for

SECRET = "Internal: customer flagged for chargeback fraud, see ticket 8812"


def answer(outcome: str, **fields: Any) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "answered_at": "2026-03-02T10:00:00+01:00",
        "channel": "api",
        "responded_by": "billing-bot",
        **fields,
    }


@pytest.mark.parametrize(
    ("data", "kind", "effective_date"),
    [
        (
            answer("has_now_been_cancelled", access_until="2026-03-31"),
            CustomerOutcomeKind.CANCELLED,
            date(2026, 3, 31),
        ),
        (
            answer("was_already_cancelled", cancelled_on="2026-01-15"),
            CustomerOutcomeKind.ALREADY_CANCELLED,
            date(2026, 1, 15),
        ),
        (
            answer("binding_contract", contract_ends_on="2026-11-30"),
            CustomerOutcomeKind.BINDING_CONTRACT,
            date(2026, 11, 30),
        ),
        (answer("no_subscription_found"), CustomerOutcomeKind.NOT_FOUND, None),
        (answer("other_reason", message=SECRET), CustomerOutcomeKind.NOT_CANCELLED, None),
    ],
    ids=lambda v: v["outcome"] if isinstance(v, dict) else None,
)
def test_each_answer_tells_the_customer_its_kind_and_date(
    data: dict[str, Any], kind: CustomerOutcomeKind, effective_date: date | None
) -> None:
    outcome = customer_outcome_for(parse_answer(data))

    assert outcome == CustomerOutcome(kind=kind, effective_date=effective_date)


def test_every_answer_maps_to_a_different_kind() -> None:
    kinds = {
        customer_outcome_for(parse_answer(data)).kind
        for data in [
            answer("has_now_been_cancelled", access_until="2026-03-31"),
            answer("was_already_cancelled", cancelled_on="2026-01-15"),
            answer("binding_contract", contract_ends_on="2026-11-30"),
            answer("no_subscription_found"),
            answer("other_reason", message=SECRET),
        ]
    }

    assert kinds == set(CustomerOutcomeKind)


def test_the_other_reason_message_never_reaches_the_customer_outcome() -> None:
    outcome = customer_outcome_for(parse_answer(answer("other_reason", message=SECRET)))

    dumped = outcome.model_dump_json()
    assert "chargeback" not in dumped
    assert "8812" not in dumped
    assert SECRET not in repr(outcome)


def test_the_customer_outcome_has_no_field_that_could_carry_text() -> None:
    # Only an enum and a date: there is nowhere to put the merchant's free text.
    assert set(CustomerOutcome.model_fields) == {"kind", "effective_date"}
    assert CustomerOutcome.model_fields["kind"].annotation is CustomerOutcomeKind
    assert CustomerOutcome.model_fields["effective_date"].annotation == date | None


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "not_cancelled", "message": SECRET},
        {"kind": "not_cancelled", "reason": SECRET},
        {"kind": SECRET},
        {"kind": "not_cancelled", "effective_date": SECRET},
    ],
)
def test_a_customer_outcome_cannot_be_built_with_text(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CustomerOutcome.model_validate(data)
