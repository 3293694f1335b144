"""What people and systems can ask of an open case besides answering it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from domain.customer import CustomerIdentifiers
from domain.replies.note import ReplySuggestion
from domain.text import Line200, Paragraph2000

Actor = Line200
Reason = Paragraph2000


class SnoozeRequest(BaseModel):
    """Ops push the case's next reminder/escalation to a date (09:00 merchant time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    until: date
    reason: Reason
    requested_by: Actor


class WithdrawalRequest(BaseModel):
    """The customer no longer wants the cancellation (before the merchant answered)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requested_by: Actor = "customer"
    reason: Reason | None = None


class ResendRequest(BaseModel):
    """Ops send the merchant the round's request again (it says it never got it, or it went
    to an old address): the same identifiers, a new Message-ID; the chase keeps its dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requested_by: Actor
    note: Reason | None = None


class DetailsCorrection(BaseModel):
    """Corrected customer details after 'no subscription found'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer: CustomerIdentifiers
    requested_by: Actor = "customer"


class EmailReplyNotice(BaseModel):
    """A merchant replied by email; the raw message is stored by the mail gateway."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    sender: str
    subject: str
    received_at: datetime
    sender_verified: bool = True
    """False when the sender is none of the merchant's known contacts: shown, never obeyed."""
    suggestion: ReplySuggestion | None = None
    """What the reply reader made of it (domain/replies); None for replies read before #19."""
