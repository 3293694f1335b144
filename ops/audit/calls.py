"""Activities the case ran and the signals and updates it received: one reader per name, each
decoding its own input model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.history.v1 import HistoryEvent

from activities import contracts as act
from domain.actions import (
    DetailsCorrection,
    EmailReplyNotice,
    ResendRequest,
    SnoozeRequest,
    WithdrawalRequest,
)
from domain.merchant import Merchant
from domain.outcomes import date_fields
from domain.text import Line200
from ops.audit.decoding import reads_as
from ops.audit.run import SYSTEM, RunReading
from workflows.inputs import SubmitAnswer

M = TypeVar("M")

# --- activities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityReader(Generic[M]):
    model: type[M]
    read: Callable[[RunReading, HistoryEvent, M, act.EmailSent], None]


def _resent(sent: act.EmailSent) -> bool | None:
    return True if sent.already_sent else None


def _merchant_request(
    run: RunReading, event: HistoryEvent, data: act.MerchantEmailInput, sent: act.EmailSent
) -> None:
    again = data.resend_number
    run.add(
        event,
        "merchant_email_resent" if again else "merchant_email_sent",
        SYSTEM,
        f"cancellation request emailed{f' again (resend {again})' if again else ''} to "
        f"{data.merchant.display_name or '?'}, Message-ID {sent.message_id}",
        message_id=sent.message_id,
        to=data.merchant.model_dump(mode="json")["cancellation_emails"],
        found_in_outbox=_resent(sent),
        resend_number=again,
    )


class NamedMerchant(BaseModel):
    """The merchant as a reminder's or withdrawal's entry names it."""

    model_config = ConfigDict(title=Merchant.__name__)

    display_name: Line200


class MerchantEmailRead(BaseModel):
    """What the timeline reads of a reminder's or withdrawal's MerchantEmailInput. A long case
    sends hundreds of reminders, each input carrying the whole merchant: validating its
    addresses (the email validator) for an entry that shows only its name was most of the
    cost of reading those (the request's entry, once a round, reads the whole input)."""

    model_config = ConfigDict(title=act.MerchantEmailInput.__name__)

    reminder_number: int | None = Field(default=None, ge=1)
    merchant: NamedMerchant


reads_as(MerchantEmailRead, act.MerchantEmailInput, "reminder_number")
reads_as(NamedMerchant, Merchant, "display_name")


def _merchant_reminder(
    run: RunReading, event: HistoryEvent, data: MerchantEmailRead, sent: act.EmailSent
) -> None:
    number = data.reminder_number
    run.add(
        event,
        "reminder_sent",
        SYSTEM,
        f"reminder {number} emailed to {data.merchant.display_name or '?'}, "
        f"Message-ID {sent.message_id}",
        message_id=sent.message_id,
        reminder_number=number,
        found_in_outbox=_resent(sent),
    )


def _merchant_withdrawal(
    run: RunReading, event: HistoryEvent, data: MerchantEmailRead, sent: act.EmailSent
) -> None:
    run.add(
        event,
        "withdrawal_sent",
        SYSTEM,
        f"withdrawal emailed to {data.merchant.display_name or '?'}, Message-ID {sent.message_id}",
        message_id=sent.message_id,
        found_in_outbox=_resent(sent),
    )


def _customer_notified(
    run: RunReading, event: HistoryEvent, data: act.CustomerNotificationInput, sent: act.EmailSent
) -> None:
    kind = data.kind.value
    outcome = data.outcome.kind.value if data.outcome is not None else None
    run.add(
        event,
        "customer_notified",
        SYSTEM,
        f"customer emailed: {outcome or kind}, Message-ID {sent.message_id}",
        message_id=sent.message_id,
        notification=kind,
        customer_outcome=outcome,
        found_in_outbox=_resent(sent),
    )


def _ops_notified(
    run: RunReading, event: HistoryEvent, data: act.OpsNotificationInput, sent: act.EmailSent
) -> None:
    if data.kind is act.OpsNotificationKind.ESCALATION:
        waited = data.business_days_waited
        run.add(
            event,
            "escalated",
            SYSTEM,
            f"escalated to ops after {waited} business days without an answer"
            if waited is not None
            else "escalated to ops",
            message_id=sent.message_id,
            business_days_waited=waited,
        )
    else:
        run.add(
            event,
            "ops_notified",
            SYSTEM,
            f"ops emailed: {data.kind.value}",
            message_id=sent.message_id,
            notification=data.kind.value,
        )


# load_merchant and activities not named here are plumbing, not part of the story.
ACTIVITY_READERS: dict[str, ActivityReader[Any]] = {
    act.SEND_MERCHANT_REQUEST: ActivityReader(act.MerchantEmailInput, _merchant_request),
    act.SEND_MERCHANT_REMINDER: ActivityReader(MerchantEmailRead, _merchant_reminder),
    act.SEND_MERCHANT_WITHDRAWAL: ActivityReader(MerchantEmailRead, _merchant_withdrawal),
    act.NOTIFY_CUSTOMER: ActivityReader(act.CustomerNotificationInput, _customer_notified),
    act.NOTIFY_OPS: ActivityReader(act.OpsNotificationInput, _ops_notified),
}

# --- signals and updates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A signal or update as it arrived: its name, the caller's identity, and which of the two."""

    name: str
    identity: str
    via: str  # "signal" or "update"


@dataclass(frozen=True)
class CallReader(Generic[M]):
    model: type[M]
    read: Callable[[RunReading, HistoryEvent, Call, M], None]


def _answer(run: RunReading, event: HistoryEvent, call: Call, submission: SubmitAnswer) -> None:
    # An answer the rules refused still arrives (as a dict), so the timeline reads both shapes.
    answer: dict[str, Any] = (
        submission.answer
        if isinstance(submission.answer, dict)
        else submission.answer.model_dump(mode="json")
    )
    channel = answer.get("channel", "?")
    responder = answer.get("responded_by") or call.identity or "unknown"
    outcome = answer.get("outcome", "?")
    reference = answer.get("reference")
    verdict = _against_suggestion(run, answer)
    run.add(
        event,
        "answer_received",
        str(responder),
        f"answer '{outcome}' through {channel}"
        + (f" (ref {reference})" if reference else "")
        + (f"; {verdict}" if verdict else ""),
        outcome=outcome,
        channel=channel,
        responded_by=responder,
        reference=reference,
        answered_at=answer.get("answered_at"),
        via=call.via,
        suggestion=verdict,
        # The outcome's own dates; the other-reason message stays out (ops read it in show).
        **{k: answer[k] for k in date_fields() if k in answer},
    )


def _against_suggestion(run: RunReading, answer: dict[str, Any]) -> str | None:
    """Whether an answer from an email reply took the reader's suggestion for it or not."""
    reference = answer.get("reference")
    if answer.get("channel") != "email" or not reference:
        return None
    for entry in reversed(run.case.entries):
        if entry.kind != "email_reply_received" or entry.details.get("message_id") != reference:
            continue
        suggested = entry.details.get("suggested_answer")
        if not isinstance(suggested, dict) or suggested.get("outcome") is None:
            return None
        same = all(answer.get(k) == v for k, v in suggested.items() if k in _ANSWER_KEYS)
        return "the reader's suggestion accepted" if same else "the reader's suggestion overridden"
    return None


_ANSWER_KEYS = ("outcome", "access_until", "cancelled_on", "contract_ends_on", "message")


def _email_reply(
    run: RunReading, event: HistoryEvent, call: Call, notice: EmailReplyNotice
) -> None:
    note = notice.suggestion
    run.add(
        event,
        "email_reply_received",
        notice.sender or "unknown",
        f"merchant replied by email, Message-ID {notice.message_id}"
        + (f"; reader: {note.describe()}" if note else ""),
        message_id=notice.message_id,
        sender=notice.sender,
        received_at=notice.model_dump(mode="json")["received_at"],
        # The evidence is the merchant's words: kept in the timeline as the reader saw them.
        suggested_answer=note.to_json() if note else None,
        reader=note.reader if note else None,
    )


def _withdrawal(
    run: RunReading, event: HistoryEvent, call: Call, request: WithdrawalRequest
) -> None:
    run.add(
        event,
        "withdrawal_requested",
        request.requested_by or call.identity or "unknown",
        "customer withdrew the request",
        reason=request.reason,
        via=call.via,
    )


def _snooze(run: RunReading, event: HistoryEvent, call: Call, request: SnoozeRequest) -> None:
    until = request.until.isoformat()
    run.add(
        event,
        "snoozed",
        request.requested_by or call.identity or "unknown",
        f"chasing paused until {until}: {request.reason}",
        until=until,
        reason=request.reason,
    )


def _resend(run: RunReading, event: HistoryEvent, call: Call, request: ResendRequest) -> None:
    run.add(
        event,
        "resend_requested",
        request.requested_by or call.identity or "unknown",
        "asked to send the merchant request again" + (f": {request.note}" if request.note else ""),
        note=request.note,
    )


def _correction(
    run: RunReading, event: HistoryEvent, call: Call, correction: DetailsCorrection
) -> None:
    actor = correction.requested_by or call.identity or "unknown"
    run.add(event, "details_corrected", actor, "customer sent corrected details", via=call.via)


# Signals and updates by name; older names of the same call read the same way.
CALL_READERS: dict[str, CallReader[Any]] = {
    "submit_answer": CallReader(SubmitAnswer, _answer),
    "merchant_response": CallReader(SubmitAnswer, _answer),
    "email_reply_received": CallReader(EmailReplyNotice, _email_reply),
    "withdraw": CallReader(WithdrawalRequest, _withdrawal),
    "withdraw_case": CallReader(WithdrawalRequest, _withdrawal),
    "snooze": CallReader(SnoozeRequest, _snooze),
    "resend_request": CallReader(ResendRequest, _resend),
    "correct_details": CallReader(DetailsCorrection, _correction),
    "correct_customer_details": CallReader(DetailsCorrection, _correction),
}
# Updates whose result says whether anything changed.
RECEIPT_UPDATES = frozenset({"submit_answer"})


def unknown_call(run: RunReading, event: HistoryEvent, call: Call) -> None:
    run.add(
        event,
        f"{call.via}_{call.name}",
        call.identity or "unknown",
        f"{call.via} '{call.name}' received",
    )
