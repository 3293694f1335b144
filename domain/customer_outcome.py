"""What the customer is told. Built from the outcome alone: it has no field for merchant text."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.answers import (
    BindingContract,
    HasNowBeenCancelled,
    MerchantAnswer,
    NoSubscriptionFound,
    OtherReason,
    WasAlreadyCancelled,
)


class CustomerOutcomeKind(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    BINDING_CONTRACT = "binding_contract"
    NOT_FOUND = "not_found"
    NOT_CANCELLED = "not_cancelled"


class CustomerOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CustomerOutcomeKind
    effective_date: date | None = None


def customer_outcome_for(answer: MerchantAnswer) -> CustomerOutcome:
    match answer:
        case HasNowBeenCancelled(access_until=until):
            return CustomerOutcome(kind=CustomerOutcomeKind.CANCELLED, effective_date=until)
        case WasAlreadyCancelled(cancelled_on=on):
            return CustomerOutcome(kind=CustomerOutcomeKind.ALREADY_CANCELLED, effective_date=on)
        case BindingContract(contract_ends_on=ends):
            return CustomerOutcome(kind=CustomerOutcomeKind.BINDING_CONTRACT, effective_date=ends)
        case NoSubscriptionFound():
            return CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND)
        case OtherReason():
            return CustomerOutcome(kind=CustomerOutcomeKind.NOT_CANCELLED)
    raise AssertionError(f"unhandled answer {type(answer).__name__}")
