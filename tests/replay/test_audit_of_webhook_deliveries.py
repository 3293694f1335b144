"""Webhook deliveries in the audit of the saved webhook merchant's case: what was sent, and how
each delivery ended as far as the case's own history knows, without the event's identifiers,
the endpoints' words, or anything that could drive the terminal."""

from __future__ import annotations

import dataclasses
import json

from temporalio.contrib.pydantic import pydantic_data_converter

from ops.audit import Timeline, render_text
from ops.audit.decoding import UNREADABLE
from tests.helpers.audit import Event, _events_of, _KeyNotHeld, _timeline

NAME = "webhook-merchant"
CASE = "replay-webhook-merchant"
REQUESTED, REMINDER, ANSWER = (
    f"evt_{CASE}_requested_1_1",
    f"evt_{CASE}_reminder_1_1",
    f"evt_{CASE}_answer_recorded_1_1",
)
# What the requested and reminder events carry for the merchant (the saved case's customer).
IDENTIFIERS = ("anna.svensson@example.com", "Svensson", "Anna", "4242")
FORGED_TYPE = "WebhookNotDelivered\r\n2027-03-03 08:00:00Z  r1  webhook_delivered\x1b[2J"


def _webhooks(timeline: Timeline) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.details["event_type"], e.details["event_id"])
        for e in timeline.entries
        if e.kind.startswith("webhook_")
    ]


def _printed(timeline: Timeline) -> tuple[str, str]:
    return render_text(timeline), json.dumps(timeline.to_json(), ensure_ascii=False, default=str)


# The saved history's deliveries: two delivered, the answer's still in flight at the close.
SAVED_DELIVERIES = [
    ("webhook_sent", "cancellation.requested", REQUESTED),
    ("webhook_delivered", "cancellation.requested", REQUESTED),
    ("webhook_sent", "cancellation.reminder", REMINDER),
    ("webhook_delivered", "cancellation.reminder", REMINDER),
    ("webhook_sent", "cancellation.answer_recorded", ANSWER),
    ("webhook_in_flight", "cancellation.answer_recorded", ANSWER),
]


def _by_id(events: list[Event], event_id: int) -> Event:
    return next(e for e in events if int(e["eventId"]) == event_id)


async def test_each_event_sent_and_how_its_delivery_ended_without_the_identifiers() -> None:
    timeline = await _timeline(_events_of(NAME, lambda events: None))

    assert _webhooks(timeline) == SAVED_DELIVERIES
    delivered = [e for e in timeline.entries if e.kind == "webhook_delivered"]
    assert [e.details["endpoints"] for e in delivered] == [1, 1]
    assert delivered[0].summary.endswith("delivered to 1 endpoint")
    reminder = next(e for e in timeline.entries if e.details.get("event_id") == REMINDER)
    assert reminder.details["reminder_number"] == 1
    # The answer's delivery outlived the case: the line names the workflow that knows the end.
    in_flight = next(e for e in timeline.entries if e.kind == "webhook_in_flight")
    assert in_flight.details["delivery_workflow_id"] == f"webhook-{ANSWER}"
    assert "still being delivered when the case closed" in in_flight.summary
    assert timeline.entries[-1].kind == "case_closed"
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)

    text, exported = _printed(timeline)
    for identifier in IDENTIFIERS:
        assert identifier not in text and identifier not in exported


def _give_up_reminder_and_refuse_request_twice(events: list[Event]) -> None:
    # The reminder's delivery (started at event 30) gives up while the case is still open.
    completed = _by_id(events, 43)
    attrs = completed.pop("childWorkflowExecutionCompletedEventAttributes")
    completed["eventType"] = "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED"
    completed["childWorkflowExecutionFailedEventAttributes"] = {
        "namespace": attrs["namespace"],
        "workflowExecution": attrs["workflowExecution"],
        "workflowType": attrs["workflowType"],
        "initiatedEventId": attrs["initiatedEventId"],
        "startedEventId": attrs["startedEventId"],
        "retryState": "RETRY_STATE_RETRY_POLICY_NOT_SET",
        "failure": {
            "message": "Activity task timed out",
            "activityFailureInfo": {"activityType": {"name": "deliver_webhook"}},
            "cause": {
                "message": "1 of 1 endpoint(s) did not take it: we_1: "
                "https://hooks.acme.example/?who=anna.svensson@example.com answered HTTP 500",
                "applicationFailureInfo": {"type": FORGED_TYPE},
            },
        },
    }
    # The request's delivery had been started before (a reset case): the server refuses it.
    started = _by_id(events, 12)
    started.pop("childWorkflowExecutionStartedEventAttributes")
    started["eventType"] = "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED"
    started["startChildWorkflowExecutionFailedEventAttributes"] = {
        "namespace": "default",
        "workflowId": f"webhook-{REQUESTED}",
        "workflowType": {"name": "WebhookDeliveryWorkflow"},
        "cause": "START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS",
        "initiatedEventId": "10",
        "workflowTaskCompletedEventId": "4",
    }
    events.remove(_by_id(events, 22))


async def test_a_delivery_that_gave_up_while_the_case_was_open_and_one_already_started() -> None:
    timeline = await _timeline(_events_of(NAME, _give_up_reminder_and_refuse_request_twice))

    assert _webhooks(timeline) == [
        ("webhook_sent", "cancellation.requested", REQUESTED),
        ("webhook_sent", "cancellation.reminder", REMINDER),
        ("webhook_failed", "cancellation.reminder", REMINDER),
        ("webhook_sent", "cancellation.answer_recorded", ANSWER),
        ("webhook_in_flight", "cancellation.answer_recorded", ANSWER),
    ]
    sent = timeline.entries[[e.kind for e in timeline.entries].index("webhook_sent")]
    assert sent.details["already_started"] is True
    assert sent.summary.endswith("(its delivery had already started; that one carries it)")
    failed = next(e for e in timeline.entries if e.kind == "webhook_failed")
    assert failed.details["how"] == "gave_up"
    assert failed.details["last_error_type"] == FORGED_TYPE
    assert f"see workflow webhook-{REMINDER}" in failed.summary

    text, exported = _printed(timeline)
    # One line per entry: the error's type cannot forge a line or reach the terminal.
    assert len(text.split("\n")) == len(timeline.entries) + 1
    assert not any(c in text for c in "\r\x1b")
    assert "last error: WebhookNotDelivered\\r\\n2027-03-03" in text
    # The endpoint's words (its URL, what it answered) stay in the delivery's own history.
    for endpoint_text in ("hooks.acme.example", "HTTP 500", "we_1", *IDENTIFIERS):
        assert endpoint_text not in text and endpoint_text not in exported


async def test_deliveries_read_without_the_key_still_show_kind_and_event_id() -> None:
    converter = dataclasses.replace(pydantic_data_converter, payload_codec=_KeyNotHeld())
    timeline = await _timeline(_events_of(NAME, lambda events: None), converter)

    # The kind comes from the event id in the delivery's workflow id, which is never encrypted.
    assert _webhooks(timeline) == SAVED_DELIVERIES
    sent = [e for e in timeline.entries if e.kind == "webhook_sent"]
    assert all(e.details["unreadable"] == UNREADABLE for e in sent)
    assert all(e.summary.endswith(f"(event: {UNREADABLE})") for e in sent)
