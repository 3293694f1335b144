"""The audit timeline of every saved path reads as the story of the case, in order."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from ops.audit import Timeline, render_text, timeline_of_runs

HISTORIES = Path(__file__).resolve().parent / "histories"
# What `cases audit` and `cases audit --json` print for each saved history, byte for byte.
PRINTED = Path(__file__).resolve().parent / "audit"

# The request and the reminder-then-answer of a merchant told by email and webhook.
_WEBHOOK_REQUEST = ["request_received", "webhook_sent", "merchant_email_sent", "webhook_delivered"]
_WEBHOOK_REMINDER_AND_ANSWER = [
    "webhook_sent",
    "reminder_sent",
    "webhook_delivered",
    "answer_received",
    "webhook_sent",
    "customer_notified",
    "webhook_in_flight",
    "case_closed",
]

# Each path's entries (status changes left out), oldest first.
EXPECTED: dict[str, list[str]] = {
    # Withdrawn or answered before the request went out: the merchant is never emailed.
    "withdrawn-before-request": [
        "request_received",
        "withdrawal_requested",
        "customer_notified",
        "case_closed",
    ],
    "answered-before-request": [
        "request_received",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    "has-now-been-cancelled": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    "was-already-cancelled": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    "other-reason": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "ops_notified",
        "customer_notified",
        "case_closed",
    ],
    "withdrawal": [
        "request_received",
        "merchant_email_sent",
        "withdrawal_requested",
        "withdrawal_sent",
        "customer_notified",
        "case_closed",
    ],
    "email-reply-triage": [
        "request_received",
        "merchant_email_sent",
        "email_reply_received",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    # Snoozed to 15 March: reminder 1 goes out then, not on 3 March.
    "snooze-then-answer": [
        "request_received",
        "merchant_email_sent",
        "snoozed",
        "reminder_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    "binding-contract-round-two": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "round_ended",
        "round_started",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    "no-subscription-corrected": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "details_corrected",
        "round_ended",
        "round_started",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ],
    # Told by email and webhook (patch 'webhooks-v1'): each event's delivery child shows where
    # the case started it and, while the case was open, where it ended; the answer's delivery
    # was still running when the case closed.
    "webhook-merchant": [*_WEBHOOK_REQUEST, *_WEBHOOK_REMINDER_AND_ANSWER],
    # Ops sent the request again on 2 March (who and why in the Update's entry): a second
    # email and `cancellation.requested` again; reminder 1 still on 3 March.
    "resend-then-answer": [
        *_WEBHOOK_REQUEST,
        "resend_requested",
        "webhook_sent",
        "merchant_email_resent",
        "webhook_delivered",
        *_WEBHOOK_REMINDER_AND_ANSWER,
    ],
    # Told the outcome, then 14 days later that the case closed unresolved.
    "no-subscription-unresolved": [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "customer_notified",
        "case_closed",
    ],
}


def _runs(name: str) -> list[WorkflowHistory]:
    paths = sorted(HISTORIES.glob(f"{name}.run*.json"))
    return [WorkflowHistory.from_json(f"case-replay-{name}", p.read_text()) for p in paths]


async def _timeline_of(name: str) -> Timeline:
    runs = _runs(name)
    return await timeline_of_runs(
        pydantic_data_converter,
        f"replay-{name}",
        [run.events for run in runs],
        [f"run{i}" for i in range(1, len(runs) + 1)],
    )


@pytest.mark.parametrize("name", sorted(p.stem for p in PRINTED.glob("*.txt")))
async def test_the_printed_audit_of_each_saved_history(name: str) -> None:
    timeline = await _timeline_of(name)
    assert render_text(timeline) + "\n" == (PRINTED / f"{name}.txt").read_text()
    printed = json.dumps(timeline.to_json(), indent=2, ensure_ascii=False, default=str)
    assert printed + "\n" == (PRINTED / f"{name}.json").read_text()


def test_every_saved_history_has_its_printed_audit() -> None:
    saved = {p.name.split(".run")[0] for p in HISTORIES.glob("*.run*.json")}
    assert saved == {p.stem for p in PRINTED.glob("*.txt")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_the_timeline_of_each_path(name: str) -> None:
    timeline = await _timeline_of(name)
    kinds = [e.kind for e in timeline.entries if e.kind != "status"]
    assert kinds == EXPECTED[name]
    times = [e.at for e in timeline.entries]
    assert times == sorted(times)


async def test_reminders_and_escalation_show_in_the_timeline() -> None:
    runs = _runs("reminders-escalation-answer")
    assert len(runs) == 3
    timeline = await _timeline_of("reminders-escalation-answer")
    kinds = [e.kind for e in timeline.entries if e.kind != "status"]
    assert kinds[:2] == ["request_received", "merchant_email_sent"]
    assert kinds[-3:] == ["answer_received", "customer_notified", "case_closed"]
    chase = [k for k in kinds[2:-3] if k != "history_continued"]
    # Reminder 1, reminder 2, escalation, then repeat reminders; a long chase continues
    # as new and the timeline follows it across runs.
    assert chase[:3] == ["reminder_sent", "reminder_sent", "escalated"]
    assert set(chase[3:]) == {"reminder_sent"} and len(chase) >= 6
    assert kinds.count("history_continued") == len(runs) - 1


async def test_the_resend_names_the_op_and_its_note() -> None:
    timeline = await _timeline_of("resend-then-answer")
    [asked] = [e for e in timeline.entries if e.kind == "resend_requested"]
    assert asked.actor == "ops:eva@example.com"
    assert asked.details == {"note": "merchant never got it"}
    [sent] = [e for e in timeline.entries if e.kind == "merchant_email_resent"]
    assert sent.details["resend_number"] == 1
    assert "request-resend-1" in sent.details["message_id"]
    assert sent.at - asked.at < timedelta(seconds=1)
