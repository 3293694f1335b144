"""A case's state as ops and callers see it (no customer identifiers here)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.actions import EmailReplyNotice
from domain.answers import MerchantAnswer, Outcome
from domain.customer_outcome import CustomerOutcome


class CaseStatus(StrEnum):
    STARTING = "starting"
    AWAITING = "awaiting"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    NEEDS_TRIAGE = "needs_triage"
    ANSWERED = "answered"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    UNRESOLVED = "unresolved"
    FAILED = "failed"


OPEN_STATUSES = frozenset(
    {
        CaseStatus.STARTING,
        CaseStatus.AWAITING,
        CaseStatus.REMINDED,
        CaseStatus.ESCALATED,
        CaseStatus.NEEDS_TRIAGE,
        CaseStatus.ANSWERED,
        CaseStatus.FOLLOW_UP,
    }
)
FINAL_STATUSES = frozenset(CaseStatus) - OPEN_STATUSES


class EmailRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    round: int
    message_id: str
    sent_at: datetime


class RoundSummary(BaseModel):
    """How an earlier round of the case ended (rounds are separate runs of the workflow)."""

    round: int
    outcome: Outcome | None
    answered_at: datetime | None
    ended_at: datetime


class CaseState(BaseModel):
    """Returned by the workflow's query at any time; also the case's result when it closes."""

    case_id: str
    merchant_id: str
    round: int = 1
    status: CaseStatus = CaseStatus.STARTING
    requested_at: datetime
    answer: MerchantAnswer | None = None
    answered_at: datetime | None = None
    customer_outcome: CustomerOutcome | None = None
    customer_notified_at: datetime | None = None
    emails: list[EmailRecord] = Field(default_factory=list)
    escalated: bool = False
    escalated_at: datetime | None = None
    round_started_at: datetime | None = None
    reminders_sent: int = 0
    requests_resent: int = Field(default=0, description="Times ops sent this round's request again")
    chase_steps_done: int = 0
    last_chase_at: datetime | None = None
    snoozed_until: datetime | None = None
    snooze_reason: str | None = None
    email_replies: list[EmailReplyNotice] = Field(default_factory=list)
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    follow_up_at: datetime | None = None
    previous_rounds: list[RoundSummary] = Field(default_factory=list)
    next_action: str | None = None
    next_action_at: datetime | None = None
    closed_at: datetime | None = None
    failure: str | None = None
    rejected_answers: list[str] = Field(
        default_factory=list, description="Why answers sent as signals were not recorded"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def outcome(self) -> Outcome | None:
        return self.answer.outcome if self.answer else None


class AnswerReceipt(BaseModel):
    """What the Update returns: the recorded answer, and whether this call recorded it."""

    case_id: str
    recorded: bool = Field(description="False when the same answer was already recorded")
    answer: MerchantAnswer
    status: CaseStatus
