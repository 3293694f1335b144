"""What the customer is told. Built from the outcome alone: it has no field for merchant text."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.answers import MerchantAnswer
from domain.outcomes import CustomerOutcomeKind, effective_date, spec_of

__all__ = ["CustomerOutcome", "CustomerOutcomeKind", "customer_outcome_for"]


class CustomerOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CustomerOutcomeKind
    effective_date: date | None = None


def customer_outcome_for(answer: MerchantAnswer) -> CustomerOutcome:
    return CustomerOutcome(
        kind=spec_of(answer).customer_kind, effective_date=effective_date(answer)
    )
