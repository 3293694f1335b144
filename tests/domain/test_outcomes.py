"""Each outcome defined once (#17.1): what derives from domain/outcomes.py, and the checks
that keep a definition true to its answer class."""

from __future__ import annotations

import pytest

from domain.answers import HasNowBeenCancelled, Outcome
from domain.common import SUPPORTED_LOCALES
from domain.outcomes import (
    OUTCOMES,
    ChoiceGroup,
    CustomerOutcomeKind,
    FieldText,
    FollowUp,
    bulk_answer_columns,
    reasons,
    top_choices,
)
from domain.outcomes_parts import checked_spec as _spec


def test_the_columns_of_bulk_answers_are_the_outcome_and_every_outcomes_fields() -> None:
    assert bulk_answer_columns() == (
        "outcome",
        "access_until",
        "cancelled_on",
        "contract_ends_on",
        "message",
    )


def test_the_form_asks_as_the_merchant_guide_does() -> None:
    assert top_choices() == (
        "has_now_been_cancelled",
        "was_already_cancelled",
        "could_not_be_cancelled",
    )
    assert reasons(ChoiceGroup.COULD_NOT_BE_CANCELLED) == (
        Outcome.BINDING_CONTRACT,
        Outcome.NO_SUBSCRIPTION_FOUND,
        Outcome.OTHER_REASON,
    )


def test_every_outcome_speaks_both_languages_with_its_own_subject() -> None:
    assert set(OUTCOMES) == set(Outcome)
    for locale in SUPPORTED_LOCALES:
        subjects = {spec.customer.subject[locale] for spec in OUTCOMES.values()}
        assert len(subjects) == len(OUTCOMES)
        for spec in OUTCOMES.values():
            assert spec.label[locale]
            assert "{reference}" in spec.customer.subject[locale]
            for field in spec.fields:
                assert field.text.label[locale]


def test_what_follows_each_outcome() -> None:
    assert {o: s.follow_up for o, s in OUTCOMES.items()} == {
        Outcome.HAS_NOW_BEEN_CANCELLED: FollowUp.CLOSE,
        Outcome.WAS_ALREADY_CANCELLED: FollowUp.CLOSE,
        Outcome.BINDING_CONTRACT: FollowUp.NEW_ROUND_AFTER_NOTICE,
        Outcome.NO_SUBSCRIPTION_FOUND: FollowUp.AWAIT_CORRECTED_DETAILS,
        Outcome.OTHER_REASON: FollowUp.CLOSE,
    }
    # Only the other reason's message goes to ops, and never into the customer's wording.
    assert [s.for_ops for s in OUTCOMES.values() if s.for_ops] == ["message"]
    for spec in OUTCOMES.values():
        for text in spec.customer.body.values():
            assert "{message}" not in text


def _text() -> FieldText:
    return FieldText(label={"en": "x", "sv": "x"}, help="x")


def test_a_definition_whose_fields_differ_from_its_answer_class_is_refused() -> None:
    base = OUTCOMES[Outcome.HAS_NOW_BEEN_CANCELLED]
    rest = {
        "label": base.label,
        "group": None,
        "customer_kind": CustomerOutcomeKind.CANCELLED,
        "effective_date": "access_until",
        "customer": base.customer,
        "follow_up": FollowUp.CLOSE,
    }
    with pytest.raises(TypeError, match="has_now_been_cancelled: texts for fields"):
        _spec(
            Outcome.HAS_NOW_BEEN_CANCELLED, HasNowBeenCancelled, fields={"ends_on": _text()}, **rest
        )
    with pytest.raises(TypeError, match="is not the answer of outcome was_already_cancelled"):
        _spec(
            Outcome.WAS_ALREADY_CANCELLED,
            HasNowBeenCancelled,
            fields={"access_until": _text()},
            **rest,
        )
