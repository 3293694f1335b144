"""The answer form of the case page: the five outcomes as the merchant's reply form asks for
them (its choices, the reasons under "could not be cancelled", each outcome's own fields),
all derived from domain/outcomes.py, and the form read back into an answer's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.answers import Outcome
from domain.common import Locale
from domain.outcomes import (
    GROUP_LABELS,
    OUTCOMES,
    ChoiceGroup,
    FieldKind,
    answer_fields,
    reasons,
    top_choices,
)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    is_date: bool


@dataclass(frozen=True)
class AnswerForm:
    choices: tuple[Choice, ...]
    reasons: tuple[Choice, ...]
    fields: tuple[Field, ...]


def outcome_label(outcome: str, locale: Locale) -> str:
    return OUTCOMES[Outcome(outcome)].label[locale]


def answer_form(locale: Locale) -> AnswerForm:
    def label(value: str) -> str:
        if value in {g.value for g in ChoiceGroup}:
            return GROUP_LABELS[ChoiceGroup(value)][locale]
        return outcome_label(value, locale)

    return AnswerForm(
        choices=tuple(Choice(c, label(c)) for c in top_choices()),
        reasons=tuple(
            Choice(o.value, outcome_label(o.value, locale))
            for group in ChoiceGroup
            for o in reasons(group)
        ),
        fields=tuple(
            Field(f.name, f.text.label[locale], f.kind is FieldKind.DATE) for f in answer_fields()
        ),
    )


FIELD_NAMES = tuple(f.name for f in answer_fields())


def chosen_outcome(choice: str, reason: str) -> Outcome | None:
    """The outcome the two questions name: a choice of its own, or a group and its reason."""
    if choice in {g.value for g in ChoiceGroup}:
        group = ChoiceGroup(choice)
        return Outcome(reason) if reason in {o.value for o in reasons(group)} else None
    return Outcome(choice) if choice in top_choices() else None


def outcome_fields(outcome: Outcome, values: Mapping[str, str]) -> dict[str, Any]:
    """The outcome's own fields from the form (an empty date is None: the rule then names it)."""
    found: dict[str, Any] = {}
    for answer_field in OUTCOMES[outcome].fields:
        raw = values.get(answer_field.name, "")
        if answer_field.kind is FieldKind.TEXT:
            found[answer_field.name] = raw
        else:
            found[answer_field.name] = raw.strip() or None
    return found
