"""When to chase a merchant that has not answered: reminders, escalation, repeat reminders.

Each step is due a number of business days after the previous one actually happened, so a
snooze (or a pause while ops triage an email reply) pushes every later step along with it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.business_days import add_business_days
from domain.merchant import Merchant


class StepKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


class ChaseStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: StepKind
    reminder_number: int | None
    due_at: datetime

    def describe(self) -> str:
        if self.kind is StepKind.ESCALATION:
            return "escalation to ops"
        return f"reminder {self.reminder_number} to the merchant"


def next_chase_step(
    merchant: Merchant,
    steps_done: int,
    last_step_at: datetime,
    not_before: datetime | None = None,
) -> ChaseStep:
    """The step after `steps_done` steps, the last of which was due at last_step_at.

    Order: reminder 1, reminder 2, escalation, then reminder 3, 4, ... forever.
    """
    policy = merchant.response_policy
    if steps_done == 0:
        kind, number, gap = StepKind.REMINDER, 1, policy.first_reminder_after
    elif steps_done == 1:
        kind, number, gap = (
            StepKind.REMINDER,
            2,
            policy.second_reminder_after - policy.first_reminder_after,
        )
    elif steps_done == 2:
        kind, number, gap = (
            StepKind.ESCALATION,
            None,
            policy.escalate_after - policy.second_reminder_after,
        )
    else:
        kind, number, gap = StepKind.REMINDER, steps_done, policy.repeat_reminder_every
    due = add_business_days(last_step_at, gap, merchant.timezone, merchant.country)
    if not_before is not None and due < not_before:
        due = not_before
    return ChaseStep(kind=kind, reminder_number=number, due_at=due)
