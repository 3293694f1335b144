"""The audit reads what it cannot decode without crashing: payloads in shapes older code wrote,
payloads this process holds no key for, and outside text made to forge lines or drive the
terminal."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

from ops.audit import render_text
from ops.audit.decoding import UNREADABLE
from tests.helpers.audit import Event, _events_of, _KeyNotHeld, _timeline

FORGED = "Acme\r\n2026-01-01 answered: cancelled\x1b]8;;https://evil\x07Premium\x1b[2J"


def _payload(event: Event, attributes: str) -> dict[str, Any]:
    holder = event[attributes]
    for key in ("input", "result"):
        if key in holder:
            return holder[key]["payloads"][0]  # type: ignore[no-any-return]
    raise KeyError(attributes)


def _rewrite(event: Event, attributes: str, change: Callable[[Any], Any]) -> None:
    payload = _payload(event, attributes)
    value = json.loads(base64.b64decode(payload["data"]))
    payload["data"] = base64.b64encode(json.dumps(change(value)).encode()).decode()


def _first(events: list[Event], event_type: str) -> Event:
    return next(e for e in events if e["eventType"] == f"EVENT_TYPE_{event_type}")


def _completion_of(events: list[Event], activity: str) -> Event:
    scheduled = next(
        e["eventId"]
        for e in events
        if e.get("activityTaskScheduledEventAttributes", {}).get("activityType", {}).get("name")
        == activity
    )
    return next(
        e
        for e in events
        if e.get("activityTaskCompletedEventAttributes", {}).get("scheduledEventId") == scheduled
    )


async def test_outside_text_cannot_forge_lines_or_reach_the_terminal() -> None:
    def forge(events: list[Event]) -> None:
        started = _first(events, "WORKFLOW_EXECUTION_STARTED")
        _rewrite(
            started,
            "workflowExecutionStartedEventAttributes",
            lambda v: v | {"request": v["request"] | {"subscription": {"name": FORGED}}},
        )
        reply = _first(events, "WORKFLOW_EXECUTION_SIGNALED")
        _rewrite(
            reply,
            "workflowExecutionSignaledEventAttributes",
            lambda v: v | {"sender": "x@acme.example\r\n2026-01-01 ops\x1b[8m"},
        )

    timeline = await _timeline(_events_of("email-reply-triage", forge))
    text = render_text(timeline)

    assert len(text.split("\n")) == len(timeline.entries) + 1
    assert not any(c in text for c in "\r\x1b\x07")
    assert "cancellation of Acme\\r\\n2026-01-01 answered: cancelled" in text
    assert "\\x1b]8;;https://evil\\x07Premium\\x1b[2J at acme requested" in text
    assert "[by x@acme.example\\r\\n2026-01-01 ops\\x1b[8m]" in text
    # The JSON export keeps the exact text: JSON escapes it, and a reader wants it as it came.
    exported = json.loads(json.dumps(timeline.to_json(), ensure_ascii=False, default=str))
    assert exported["entries"][0]["details"]["subscription"] == FORGED


async def test_shapes_older_code_wrote_give_a_generic_line_each() -> None:
    def age(events: list[Event]) -> None:
        _rewrite(
            _first(events, "WORKFLOW_EXECUTION_STARTED"),
            "workflowExecutionStartedEventAttributes",
            lambda v: {"case": v["request"]["case_id"], "shop": "acme"},
        )
        _rewrite(
            _first(events, "WORKFLOW_EXECUTION_SIGNALED"),
            "workflowExecutionSignaledEventAttributes",
            lambda v: {"mail_id": v["message_id"]},
        )
        _rewrite(
            _completion_of(events, "send_merchant_request"),
            "activityTaskCompletedEventAttributes",
            lambda v: "sent",
        )
        _rewrite(
            _first(events, "WORKFLOW_EXECUTION_COMPLETED"),
            "workflowExecutionCompletedEventAttributes",
            lambda v: ["closed"],
        )

    timeline = await _timeline(_events_of("email-reply-triage", age))
    story = [e.kind for e in timeline.entries if e.kind != "status"]
    assert story == [
        "workflow_execution_started",
        "activity_task_completed",
        "workflow_execution_signaled",
        "answer_received",
        "customer_notified",
        "workflow_execution_completed",
    ]
    generic = [e for e in timeline.entries if e.kind.startswith(("workflow_", "activity_"))]
    assert [e.summary.split(": ")[0] for e in generic] == [
        "a run of the case started",
        "send_merchant_request done",
        "signal 'email_reply_received' received",
        "case closed",
    ]
    assert all("ValidationError" in e.details["unreadable"] for e in generic)
    # What follows an unreadable start still reads as the story of the case.
    assert "answer 'was_already_cancelled' through email" in render_text(timeline)


async def test_a_history_read_without_its_key_still_tells_when_and_what_changed() -> None:
    converter = dataclasses.replace(pydantic_data_converter, payload_codec=_KeyNotHeld())
    timeline = await _timeline(_events_of("withdrawal", lambda events: None), converter)

    statuses = [e.details["status"] for e in timeline.entries if e.kind == "status"]
    assert statuses[0] == "awaiting" and statuses[-1] == "withdrawn"
    unreadable = [e for e in timeline.entries if e.kind != "status"]
    assert len(unreadable) == 6
    assert all(e.summary.endswith(UNREADABLE) for e in unreadable)
    assert "?" not in render_text(timeline)
