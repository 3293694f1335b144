"""The pieces each outcome is defined with in domain/outcomes.py: what follows it, where it
sits on the reply form, how its fields and its customer email read, and the check that a
definition matches its answer class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain.answers import ANSWER_BASE_FIELDS, AnswerBase, Outcome
from domain.common import SUPPORTED_LOCALES, Locale

Localized = Mapping[Locale, str]


class FollowUp(StrEnum):
    """What the case does after telling the customer (the workflow handles each)."""

    CLOSE = "close"
    NEW_ROUND_AFTER_NOTICE = "new_round_after_notice"
    """Ask the merchant again on the effective date minus the merchant's notice period."""
    AWAIT_CORRECTED_DETAILS = "await_corrected_details"
    """The customer may correct their details for a while; a correction starts a new round."""


class ChoiceGroup(StrEnum):
    """A choice of the reply form that opens a list of outcomes (the guide's 'Reason')."""

    COULD_NOT_BE_CANCELLED = "could_not_be_cancelled"


GROUP_LABELS: Mapping[ChoiceGroup, Localized] = {
    ChoiceGroup.COULD_NOT_BE_CANCELLED: {
        "en": "could not be cancelled",
        "sv": "kunde inte sägas upp",
    },
}


class FieldKind(StrEnum):
    DATE = "date"
    TEXT = "text"


@dataclass(frozen=True)
class FieldText:
    """An answer field as people read it: the form's label (both languages) and its help
    (English, for the API's OpenAPI and the CLI's --help)."""

    label: Localized
    help: str
    hint: Localized | None = None
    """Shown under the form's label (both languages)."""


@dataclass(frozen=True)
class AnswerField:
    name: str
    kind: FieldKind
    text: FieldText

    @property
    def option(self) -> str:
        """The CLI option that carries it."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class CustomerWording:
    """What the customer reads. Placeholders: {merchant}, {subscription}, {date} (the
    effective date), {new_request_on}, {corrections_until}, {corrections_channel},
    {reference}, {support}. `undated` is used when a date the body names is unknown
    (notifications written before that date was passed)."""

    subject: Localized
    body: Localized
    undated: Localized | None = None


@dataclass(frozen=True)
class OutcomeSpec:
    outcome: Outcome
    answer: type[AnswerBase]
    label: Localized
    group: ChoiceGroup | None
    """None: a choice of its own on the form; else one of that choice's reasons."""
    fields: tuple[AnswerField, ...]
    customer_kind: StrEnum
    """What the customer is told happened (a CustomerOutcomeKind of domain/outcomes.py)."""
    effective_date: str | None
    """The field holding the date the customer is told (and the follow-up counts from)."""
    customer: CustomerWording
    follow_up: FollowUp
    merchant_next: Localized
    """What the merchant is told happens next, on the confirmation page ({date}: the new
    round's day, else the effective date)."""
    for_ops: str | None = None
    """The field sent to ops, never to the customer."""

    @property
    def date_field(self) -> str | None:
        return next((f.name for f in self.fields if f.kind is FieldKind.DATE), None)


def checked_spec(
    outcome: Outcome,
    answer: type[AnswerBase],
    *,
    fields: Mapping[str, FieldText],
    **rest: Any,
) -> OutcomeSpec:
    """The spec, its field kinds read from the answer class, checked against it."""
    declared = {n: f for n, f in answer.model_fields.items() if n not in ANSWER_BASE_FIELDS}
    own = {n: f for n, f in declared.items() if n != "outcome"}
    if set(own) != set(fields):
        raise TypeError(
            f"{outcome.value}: texts for fields {sorted(fields)}, "
            f"but {answer.__name__} has {sorted(own)}"
        )
    if declared["outcome"].default != outcome:
        raise TypeError(f"{answer.__name__} is not the answer of outcome {outcome.value}")
    kinds = {n: FieldKind.DATE if f.annotation is date else FieldKind.TEXT for n, f in own.items()}
    spec = OutcomeSpec(
        outcome=outcome,
        answer=answer,
        fields=tuple(AnswerField(n, kinds[n], text) for n, text in fields.items()),
        **rest,
    )
    for name in (spec.effective_date, spec.for_ops):
        if name is not None and name not in own:
            raise TypeError(f"{outcome.value}: {answer.__name__} has no field {name}")
    for texts in (spec.label, spec.customer.subject, spec.customer.body):
        if set(texts) != set(SUPPORTED_LOCALES):
            raise TypeError(f"{outcome.value}: a text lacks a language")
    return spec
