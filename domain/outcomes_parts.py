"""The pieces each outcome is defined with in domain/outcomes.py: what follows it, where it
sits on the reply form, how its fields and its customer email read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.common import Locale

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
