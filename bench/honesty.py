"""The benchmark checks itself: every measured workflow did the real happy path, once.

From the histories: the three activities in order, each in its first attempt (a retry would
hide work), the merchant email's activity done and the reminder timer started before the
Update was accepted, the customer told after it, the workflow completed. From the sink: the
merchant email arrived before the answer was sent, and the customer email arrived.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from bench.actions import count_actions
from bench.stack import RecordingSink

MAX_LISTED_PROBLEMS = 20


@dataclass
class Answered:
    """One workflow the benchmark answered: its key and when the answer was sent."""

    side: str
    key: str
    workflow_id: str
    activities: tuple[str, str, str]
    answer_sent_at: float


@dataclass
class Honesty:
    checked: dict[str, int] = field(default_factory=lambda: {"case": 0, "bare": 0})
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    events: dict[str, list[int]] = field(default_factory=lambda: {"case": [], "bare": []})
    actions: dict[str, list[int]] = field(default_factory=lambda: {"case": [], "bare": []})

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(text)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and all(self.checked.values())


def _first(events: Sequence[HistoryEvent], kind: int, after: int = 0) -> int | None:
    for index, event in enumerate(events):
        if index >= after and event.event_type == kind:
            return index
    return None


def _local_activity(event: HistoryEvent) -> tuple[str, int] | None:
    """(activity type, attempt) of a local activity's marker, or None for another marker."""
    attrs = event.marker_recorded_event_attributes
    if attrs.marker_name != "core_local_activity" or "data" not in attrs.details:
        return None
    payloads = attrs.details["data"].payloads
    try:
        data = json.loads(payloads[0].data)
        return str(data["activity_type"]), int(data["attempt"])
    except (IndexError, ValueError, KeyError, TypeError):
        return "unreadable local activity", 0


def _attempt_failure(failure: Failure) -> str:
    """What ended the attempt before: its kind and type (the message itself is encrypted)."""
    if failure.HasField("timeout_failure_info"):
        kind = TimeoutType.Name(failure.timeout_failure_info.timeout_type)
        return f"the attempt before timed out: {kind}"
    if failure.HasField("application_failure_info"):
        return f"the attempt before failed: {failure.application_failure_info.type}"
    return "the attempt before: " + (failure.WhichOneof("failure_info") or "no failure recorded")


def history_problems(events: Sequence[HistoryEvent], activities: Sequence[str]) -> list[str]:
    """What in this history is not one honest happy path (empty when it is)."""
    problems: list[str] = []
    scheduled: dict[int, str] = {}
    order: list[str] = []
    completed_at: dict[str, int] = {}
    for index, event in enumerate(events):
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = name
            order.append(name)
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            local = _local_activity(event)
            if local is not None:
                name, attempt = local
                order.append(name)
                completed_at[name] = index
                if attempt != 1:
                    problems.append(f"local activity {name} ran {attempt}x")
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            if attrs.attempt != 1:
                problems.append(
                    f"{scheduled.get(attrs.scheduled_event_id)} ran {attrs.attempt}x "
                    f"({_attempt_failure(attrs.last_failure)})"
                )
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes.scheduled_event_id
            completed_at[scheduled.get(done, "?")] = index
    if order != list(activities):
        problems.append(f"activities {order}, expected {list(activities)}")
        return problems
    lookup, request, notify = activities
    timer = _first(events, EventType.EVENT_TYPE_TIMER_STARTED)
    update = _first(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    closed = _first(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
    if timer is None or update is None or closed is None:
        problems.append(
            f"missing timer ({timer}), accepted Update ({update}) or completion ({closed})"
        )
        return problems
    request_done = completed_at.get(request)
    notify_done = completed_at.get(notify)
    if request_done is None or notify_done is None:
        problems.append("an email activity did not complete")
    elif not request_done < timer < update < notify_done < closed:
        problems.append(
            f"order: request email {request_done}, timer {timer}, Update {update}, "
            f"customer email {notify_done}, completed {closed}"
        )
    return problems


async def check(client: Client, sink: RecordingSink, answered: Sequence[Answered]) -> Honesty:
    honesty = Honesty()
    gate = asyncio.Semaphore(20)

    async def one(item: Answered) -> None:
        async with gate:
            history = await client.get_workflow_handle(item.workflow_id).fetch_history()
        events = list(history.events)
        honesty.checked[item.side] += 1
        honesty.events[item.side].append(len(events))
        honesty.actions[item.side].append(count_actions(events).total)
        label = f"{item.side} {item.key}"
        for text in history_problems(events, item.activities):
            honesty.problem(f"{label}: {text}")
        request_mail = sink.first(item.key, "request")
        if request_mail is None or request_mail.at >= item.answer_sent_at:
            honesty.problem(f"{label}: answered before its merchant email arrived")
        customer = [m for m in sink.by_key.get(item.key, []) if m.kind.startswith("customer")]
        if len(customer) != 1 or sink.count(item.key, "request") != 1:
            honesty.problem(
                f"{label}: {sink.count(item.key, 'request')} merchant and "
                f"{len(customer)} customer emails, expected one each"
            )

    await asyncio.gather(*(one(item) for item in answered))
    return honesty
