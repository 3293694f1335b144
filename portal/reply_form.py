"""The reply form: what the merchant entered, turned into an answer or errors.

The domain rules decide (parse_answer); this module only reads the form and says the
domain's verdict in the merchant's language, next to the field it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from pydantic import ValidationError

from domain.answers import OTHER_REASON_MAX_CHARS, MerchantAnswer, Outcome, parse_answer
from domain.common import Channel, describe_validation_error
from domain.outcomes import (
    OUTCOMES,
    AnswerField,
    ChoiceGroup,
    FieldKind,
    answer_fields,
    date_fields,
    reasons,
    spec_of,
    top_choices,
)
from domain.text import has_forbidden_characters
from domain.wording import read_iso_date
from portal.i18n import Translator

COULD_NOT_BE_CANCELLED = ChoiceGroup.COULD_NOT_BE_CANCELLED.value


@dataclass(frozen=True)
class FormLayout:
    """The form's questions, derived from the outcomes: what the template shows."""

    choices: tuple[str, ...]
    """The first question: outcomes of their own and groups of reasons."""
    reasons: Mapping[str, tuple[str, ...]]
    """A group's choice: the outcomes among which the merchant chooses the reason."""
    fields: Mapping[str, tuple[AnswerField, ...]]
    """Each outcome's own fields, shown under it."""
    date_fields: tuple[str, ...]

    @property
    def first_reason(self) -> str:
        return next(iter(self.reasons.values()))[0]


LAYOUT = FormLayout(
    choices=top_choices(),
    reasons={g.value: tuple(o.value for o in reasons(g)) for g in ChoiceGroup},
    fields={o.value: s.fields for o, s in OUTCOMES.items()},
    date_fields=date_fields(),
)
CHOICES = LAYOUT.choices
_FIELD_NAMES = tuple(f.name for f in answer_fields())
# Longer than any valid message, short enough that a pasted novel is not kept in memory twice.
_MAX_KEPT_CHARS = OTHER_REASON_MAX_CHARS * 4
# The optional "who answered" fields, kept a little past their limits so the refusal can say so.
_MAX_AGENT_CHARS = 400
_MAX_TICKET_CHARS = 1000
AGENT_NAME_MAX_CHARS = 120
TICKET_MAX_CHARS = 200


@dataclass
class ReplyForm:
    """The form's fields as text, exactly as entered, so a refused form can be shown again."""

    layout: ClassVar[FormLayout] = LAYOUT

    choice: str = ""
    reason: str = ""
    values: dict[str, str] = field(default_factory=dict)
    """The outcomes' own fields (access_until, ..., message) by name."""
    agent_name: str = ""
    ticket: str = ""

    @classmethod
    def from_submission(cls, data: Mapping[str, object]) -> ReplyForm:
        def text(name: str) -> str:
            value = data.get(name)
            return value[:_MAX_KEPT_CHARS] if isinstance(value, str) else ""

        return cls(
            choice=text("choice"),
            reason=text("reason"),
            # Browsers send a textarea's line breaks as CRLF: one \n each, as the API's.
            values={
                name: text(name).replace("\r\n", "\n").replace("\r", "\n") for name in _FIELD_NAMES
            },
            agent_name=text("agent_name")[:_MAX_AGENT_CHARS],
            ticket=text("ticket")[:_MAX_TICKET_CHARS],
        )

    def __getitem__(self, name: str) -> str:
        if name in ("choice", "reason"):
            return str(getattr(self, name))
        return self.values.get(name, "")

    @property
    def message(self) -> str:
        return self["message"]

    @property
    def outcome(self) -> Outcome | None:
        if self.choice in self.layout.reasons:
            if self.reason in self.layout.reasons[self.choice]:
                return Outcome(self.reason)
            return None
        if self.choice in self.layout.choices:
            return Outcome(self.choice)
        return None


@dataclass
class FormVerdict:
    answer: MerchantAnswer | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_answer(
    form: ReplyForm, *, answered_at: datetime, responded_by: str, t: Translator
) -> FormVerdict:
    errors: dict[str, str] = {}
    if form.choice not in CHOICES:
        errors["choice"] = t("err_choice_required")
    elif form.choice in LAYOUT.reasons and form.reason not in LAYOUT.reasons[form.choice]:
        errors["reason"] = t("err_reason_required")
    outcome = form.outcome
    if outcome is None:
        return FormVerdict(errors=errors)

    data: dict[str, object] = {
        "outcome": outcome.value,
        "answered_at": answered_at,
        "channel": Channel.PORTAL,
        "responded_by": responded_by,
    }
    _read_who_answered(form, data, errors, t)
    for answer_field in OUTCOMES[outcome].fields:
        name = answer_field.name
        if answer_field.kind is FieldKind.TEXT:
            data[name] = form[name]
            continue
        raw = form[name].strip()
        if not raw:
            errors[name] = t("err_date_required")
        else:
            parsed = read_iso_date(raw)
            if parsed is None:
                errors[name] = t("err_date_invalid")
            data[name] = parsed
    if errors:
        return FormVerdict(errors=errors)

    try:
        return FormVerdict(answer=parse_answer(data))
    except ValidationError as err:
        for problem in describe_validation_error(err):
            name = problem["field"]
            errors[name] = _in_plain_words(name, problem["message"], form, answered_at, t)
        return FormVerdict(errors=errors)


def responded_by_for(form: ReplyForm, merchant_name: str) -> str:
    """Who the history says answered: the agent's own name when given, and the portal."""
    agent = " ".join(form.agent_name.split())
    portal = f"merchant portal ({merchant_name})"
    return (f"{agent}, {portal}" if agent else portal)[:200]


def _read_who_answered(
    form: ReplyForm, data: dict[str, object], errors: dict[str, str], t: Translator
) -> None:
    """The optional agent name (in responded_by) and the merchant's ticket (reference)."""
    agent, ticket = " ".join(form.agent_name.split()), form.ticket.strip()
    if len(agent) > AGENT_NAME_MAX_CHARS:
        errors["agent_name"] = t("err_agent_too_long", limit=AGENT_NAME_MAX_CHARS)
    elif has_forbidden_characters(agent, multiline=False):
        errors["agent_name"] = t("err_agent_control")
    if len(ticket) > TICKET_MAX_CHARS:
        errors["ticket"] = t("err_ticket_too_long", limit=TICKET_MAX_CHARS)
    elif has_forbidden_characters(ticket, multiline=False):
        errors["ticket"] = t("err_ticket_control")
    elif ticket:
        data["reference"] = ticket


def _in_plain_words(
    name: str, domain_message: str, form: ReplyForm, answered_at: datetime, t: Translator
) -> str:
    """The domain's rule, said in the merchant's language; unknown rules keep the domain's words."""
    today = t.date(answered_at.date())
    if name == "cancelled_on":
        return t("err_cancelled_after_today", today=today)
    if name == "contract_ends_on":
        return t("err_contract_before_today", today=today)
    if name == "message":
        if has_forbidden_characters(form.message, multiline=True):
            return t("err_message_control")
        length = len(form.message.strip())
        if length > OTHER_REASON_MAX_CHARS:
            return t("err_message_too_long", limit=OTHER_REASON_MAX_CHARS, length=length)
        return t("err_message_required")
    return domain_message


def form_from_answer(answer: MerchantAnswer) -> ReplyForm:
    """The form as it would have been filled to give this answer (for read-only display)."""
    spec = spec_of(answer)
    form = ReplyForm(choice=spec.group.value if spec.group else spec.outcome.value)
    if spec.group:
        form.reason = spec.outcome.value
    for answer_field in spec.fields:
        value = getattr(answer, answer_field.name)
        form.values[answer_field.name] = value.isoformat() if isinstance(value, date) else value
    if answer.channel is Channel.PORTAL and answer.reference:
        form.ticket = answer.reference
    return form
