"""The reply form: what the merchant entered, turned into one of the five answers or errors.

The domain rules decide (parse_answer); this module only reads the form and says the
domain's verdict in the merchant's language, next to the field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import ValidationError

from domain.answers import (
    OTHER_REASON_MAX_CHARS,
    BindingContract,
    HasNowBeenCancelled,
    MerchantAnswer,
    OtherReason,
    Outcome,
    WasAlreadyCancelled,
    parse_answer,
)
from domain.common import Channel, describe_validation_error
from domain.text import has_forbidden_characters
from portal.i18n import Translator

COULD_NOT_BE_CANCELLED = "could_not_be_cancelled"
CHOICES = (
    Outcome.HAS_NOW_BEEN_CANCELLED.value,
    Outcome.WAS_ALREADY_CANCELLED.value,
    COULD_NOT_BE_CANCELLED,
)
REASONS = (
    Outcome.BINDING_CONTRACT.value,
    Outcome.NO_SUBSCRIPTION_FOUND.value,
    Outcome.OTHER_REASON.value,
)
DATE_FIELDS: dict[Outcome, str] = {
    Outcome.HAS_NOW_BEEN_CANCELLED: "access_until",
    Outcome.WAS_ALREADY_CANCELLED: "cancelled_on",
    Outcome.BINDING_CONTRACT: "contract_ends_on",
}
# Longer than any valid message, short enough that a pasted novel is not kept in memory twice.
_MAX_KEPT_CHARS = OTHER_REASON_MAX_CHARS * 4
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# The optional "who answered" fields, kept a little past their limits so the refusal can say so.
_MAX_AGENT_CHARS = 400
_MAX_TICKET_CHARS = 1000
AGENT_NAME_MAX_CHARS = 120
TICKET_MAX_CHARS = 200


@dataclass
class ReplyForm:
    """The form's fields as text, exactly as entered, so a refused form can be shown again."""

    choice: str = ""
    reason: str = ""
    access_until: str = ""
    cancelled_on: str = ""
    contract_ends_on: str = ""
    message: str = ""
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
            access_until=text("access_until"),
            cancelled_on=text("cancelled_on"),
            contract_ends_on=text("contract_ends_on"),
            # Browsers send a textarea's line breaks as CRLF: one \n each, as the API's.
            message=text("message").replace("\r\n", "\n").replace("\r", "\n"),
            agent_name=text("agent_name")[:_MAX_AGENT_CHARS],
            ticket=text("ticket")[:_MAX_TICKET_CHARS],
        )

    @property
    def outcome(self) -> Outcome | None:
        if self.choice in (Outcome.HAS_NOW_BEEN_CANCELLED, Outcome.WAS_ALREADY_CANCELLED):
            return Outcome(self.choice)
        if self.choice == COULD_NOT_BE_CANCELLED and self.reason in REASONS:
            return Outcome(self.reason)
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
    elif form.choice == COULD_NOT_BE_CANCELLED and form.reason not in REASONS:
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
    date_field = DATE_FIELDS.get(outcome)
    if date_field is not None:
        raw = getattr(form, date_field).strip()
        if not raw:
            errors[date_field] = t("err_date_required")
        else:
            parsed = _parse_date(raw)
            if parsed is None:
                errors[date_field] = t("err_date_invalid")
            data[date_field] = parsed
    if outcome is Outcome.OTHER_REASON:
        data["message"] = form.message
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


def _parse_date(raw: str) -> date | None:
    if not _ISO_DATE.match(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


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
    form = ReplyForm()
    match answer:
        case HasNowBeenCancelled(access_until=day):
            form.choice, form.access_until = answer.outcome.value, day.isoformat()
        case WasAlreadyCancelled(cancelled_on=day):
            form.choice, form.cancelled_on = answer.outcome.value, day.isoformat()
        case BindingContract(contract_ends_on=day):
            form.choice, form.reason = COULD_NOT_BE_CANCELLED, answer.outcome.value
            form.contract_ends_on = day.isoformat()
        case OtherReason(message=message):
            form.choice, form.reason, form.message = COULD_NOT_BE_CANCELLED, "other_reason", message
        case _:
            form.choice, form.reason = COULD_NOT_BE_CANCELLED, answer.outcome.value
    if answer.channel is Channel.PORTAL and answer.reference:
        form.ticket = answer.reference
    return form
