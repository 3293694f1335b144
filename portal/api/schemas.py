"""Bodies the APIs accept and return. Answers carry only their own fields; the rules are the
domain's (parse_answer), the API adds who, when and through which channel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from domain.answers import MerchantAnswer, Outcome
from domain.case import CaseState, CaseStatus, RoundSummary
from domain.customer_outcome import CustomerOutcome, customer_outcome_for
from domain.outcomes import OUTCOMES, FieldKind, OutcomeSpec
from domain.request import IdentifierLine, Subscription
from domain.text import Line200, MultiLineText
from domain.wording import ISO_DATE, ISO_DATE_RULE


def _iso_date_text(value: object) -> object:
    # JSON has no date type; accept only the unambiguous YYYY-MM-DD spelling of one.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError(ISO_DATE_RULE)
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]


class _AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responded_by: Line200 | None = Field(
        default=None,
        description="Who at the merchant gave the answer; defaults to the API integration",
    )


def _body_for(spec: OutcomeSpec) -> type[_AnswerBody]:
    """The API body of one outcome: its own fields with their help, who answered."""
    fields: dict[str, Any] = {"outcome": (Literal[spec.outcome], ...)}
    for f in spec.fields:
        kind: Any = IsoDate if f.kind is FieldKind.DATE else MultiLineText
        fields[f.name] = (kind, Field(description=f.text.help))
    return create_model(
        f"{spec.answer.__name__}Body", __base__=_AnswerBody, __module__=__name__, **fields
    )


def answer_union(models: tuple[type[BaseModel], ...]) -> Any:
    """One model per outcome, told apart by `outcome` (OpenAPI: oneOf with a discriminator)."""
    return Annotated[Union[models], Field(discriminator="outcome")]  # noqa: UP007


ANSWER_BODIES: tuple[type[_AnswerBody], ...] = tuple(_body_for(s) for s in OUTCOMES.values())
AnswerBody: Any = answer_union(ANSWER_BODIES)


class AnswerSummary(BaseModel):
    """The merchant's answer as outcome data: which outcome, its date, when it came."""

    outcome: Outcome
    answered_at: datetime
    effective_date: date | None = Field(
        default=None,
        description="access_until, cancelled_on or contract_ends_on, for the dated outcomes",
    )


class CaseOut(BaseModel):
    """A case's state for our own systems (intake API).

    These systems talk to the customer, so only outcome data is here: no merchant-written
    text (who answered, an other-reason message, email replies' subjects and senders), no
    ops notes. Every field is named, so a field added to CaseState stays out until chosen.
    """

    case_id: str
    reference: str
    merchant_id: str
    round: int
    status: CaseStatus
    requested_at: datetime
    answer: AnswerSummary | None = None
    answered_at: datetime | None = None
    customer_outcome: CustomerOutcome | None = None
    customer_notified_at: datetime | None = None
    escalated: bool = False
    withdrawn_at: datetime | None = None
    follow_up_at: datetime | None = None
    previous_rounds: list[RoundSummary] = Field(default_factory=list)
    next_action: str | None = None
    next_action_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, state: CaseState, reference: str) -> CaseOut:
        answer = None
        if state.answer is not None:
            effective = customer_outcome_for(state.answer).effective_date
            answer = AnswerSummary(
                outcome=state.answer.outcome,
                answered_at=state.answer.answered_at,
                effective_date=effective,
            )
        return cls(
            case_id=state.case_id,
            reference=reference,
            merchant_id=state.merchant_id,
            round=state.round,
            status=state.status,
            requested_at=state.requested_at,
            answer=answer,
            answered_at=state.answered_at,
            customer_outcome=state.customer_outcome,
            customer_notified_at=state.customer_notified_at,
            escalated=state.escalated,
            withdrawn_at=state.withdrawn_at,
            follow_up_at=state.follow_up_at,
            previous_rounds=state.previous_rounds,
            next_action=state.next_action,
            next_action_at=state.next_action_at,
            closed_at=state.closed_at,
        )


class MerchantCaseSummary(BaseModel):
    case_id: str
    reference: str
    status: CaseStatus
    requested_at: datetime


class MerchantCaseList(BaseModel):
    cases: list[MerchantCaseSummary]


class MerchantCaseOut(BaseModel):
    """A case as its merchant sees it: only the identifiers the merchant is configured for."""

    case_id: str
    reference: str
    status: CaseStatus
    requested_at: datetime
    subscription: Subscription
    customer: list[IdentifierLine]
    answer: MerchantAnswer | None = None
    reply_url: str | None = Field(
        default=None, description="The portal page for this case, while it takes answers"
    )


class AnswerOut(BaseModel):
    case_id: str
    recorded: bool = Field(description="False when this same answer had already been recorded")
    answer: MerchantAnswer
    status: CaseStatus
    customer_outcome: CustomerOutcome | None = None
