"""The merchant's answer: one class per outcome of the merchant portal guide, with its fields.

These shapes are stored in case histories. What each outcome means (labels, customer
wording, follow-up) is defined once in domain/outcomes.py.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from domain.common import Channel, register_union_tags
from domain.text import Line200, Line500, MultiLineText

OTHER_REASON_MAX_CHARS = 2000


class Outcome(StrEnum):
    HAS_NOW_BEEN_CANCELLED = "has_now_been_cancelled"
    WAS_ALREADY_CANCELLED = "was_already_cancelled"
    BINDING_CONTRACT = "binding_contract"
    NO_SUBSCRIPTION_FOUND = "no_subscription_found"
    OTHER_REASON = "other_reason"


register_union_tags(*(o.value for o in Outcome))


# What every answer carries besides its outcome and the outcome's own fields.
ANSWER_BASE_FIELDS = ("answered_at", "channel", "responded_by", "reference")


class _AnswerBase(BaseModel):
    """What every answer carries: when it was given, through which channel, by whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    answered_at: AwareDatetime
    channel: Channel
    responded_by: Line200
    reference: Line500 | None = Field(
        default=None, description="e.g. the Message-ID of the merchant's email reply"
    )

    @property
    def answered_on(self) -> date:
        return self.answered_at.date()

    def outcome_fields(self) -> dict[str, Any]:
        """The part that says what happened; two answers with equal fields are the same answer."""
        return self.model_dump(mode="json", exclude=set(ANSWER_BASE_FIELDS))

    def same_outcome_as(self, other: _AnswerBase) -> bool:
        return self.outcome_fields() == other.outcome_fields()


class HasNowBeenCancelled(_AnswerBase):
    """'has now been cancelled': the customer has access until this date."""

    outcome: Literal[Outcome.HAS_NOW_BEEN_CANCELLED] = Outcome.HAS_NOW_BEEN_CANCELLED
    access_until: date


class WasAlreadyCancelled(_AnswerBase):
    """'was already cancelled': the date the cancellation was performed."""

    outcome: Literal[Outcome.WAS_ALREADY_CANCELLED] = Outcome.WAS_ALREADY_CANCELLED
    cancelled_on: date

    @model_validator(mode="after")
    def _not_after_answer(self) -> Self:
        if self.cancelled_on > self.answered_on:
            raise ValueError(
                f"cancelled_on: the date the cancellation was performed ({self.cancelled_on}) "
                f"cannot be after the date of the answer ({self.answered_on})"
            )
        return self


class BindingContract(_AnswerBase):
    """'could not be cancelled' / 'binding contract': the date the contract expires."""

    outcome: Literal[Outcome.BINDING_CONTRACT] = Outcome.BINDING_CONTRACT
    contract_ends_on: date

    @model_validator(mode="after")
    def _not_before_answer(self) -> Self:
        if self.contract_ends_on < self.answered_on:
            raise ValueError(
                "contract_ends_on: the date the binding contract expires "
                f"({self.contract_ends_on}) "
                f"cannot be before the date of the answer ({self.answered_on})"
            )
        return self


class NoSubscriptionFound(_AnswerBase):
    """'could not be cancelled' / 'no subscription found'."""

    outcome: Literal[Outcome.NO_SUBSCRIPTION_FOUND] = Outcome.NO_SUBSCRIPTION_FOUND


class OtherReason(_AnswerBase):
    """'could not be cancelled' / 'other reason': the message is for us only, never the customer."""

    outcome: Literal[Outcome.OTHER_REASON] = Outcome.OTHER_REASON
    message: MultiLineText

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a message explaining the other reason is required")
        if len(value) > OTHER_REASON_MAX_CHARS:
            raise ValueError(
                f"must be at most {OTHER_REASON_MAX_CHARS} characters (it has {len(value)})"
            )
        return value


MerchantAnswer = Annotated[
    HasNowBeenCancelled | WasAlreadyCancelled | BindingContract | NoSubscriptionFound | OtherReason,
    Field(discriminator="outcome"),
]

AnswerBase = _AnswerBase

merchant_answer_adapter: TypeAdapter[MerchantAnswer] = TypeAdapter(MerchantAnswer)


def parse_answer(data: Any) -> MerchantAnswer:
    """Validate untrusted input into one of the answers (raises pydantic.ValidationError)."""
    return merchant_answer_adapter.validate_python(data)
