"""Webhook deliveries as the case's own history holds them: the child workflow it started per
event, and how that child ended while the case was still open to hear of it.

The case abandons its deliveries (ParentClosePolicy.ABANDON) and never waits for them, so a
delivery still running when the case closes or continues as new ends in a history of its own:
the timeline says so and names that workflow instead of guessing. Only the event's kind and id
are shown, never its data (a request's event carries the customer's identifiers), and no
endpoint's URL or error text: those belong to the delivery workflow and the give-up report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.api.enums.v1 import EventType, StartChildWorkflowExecutionFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent

from activities import contracts as act
from domain.webhooks import ALL_EVENT_TYPES, DELIVERY_WORKFLOW_ID_PREFIX
from ops.audit.decoding import Unreadable, Unrecognised
from ops.audit.run import SYSTEM, Delivery, RunReading

Handler = Callable[[RunReading, HistoryEvent], Awaitable[None]]
_Cause = StartChildWorkflowExecutionFailedCause
_ALREADY_EXISTS = _Cause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS


def _kind_from_event_id(event_id: str) -> str:
    """`evt_<case id>_<kind>_<round>_<number>`: the kind is readable without the payload's key
    (case ids and kinds may both hold underscores, so the kind is matched at the end)."""
    head = event_id.rsplit("_", 2)[0]
    for kind in ALL_EVENT_TYPES:
        if head.endswith("_" + kind.removeprefix("cancellation.")):
            return kind
    return "?"


def _named(delivery: Delivery) -> str:
    return f"webhook {delivery.event_type} ({delivery.event_id})"


def _facts(delivery: Delivery) -> dict[str, str]:
    return {
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "delivery_workflow_id": delivery.workflow_id,
    }


async def _initiated(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.start_child_workflow_execution_initiated_event_attributes
    if not attrs.workflow_id.startswith(DELIVERY_WORKFLOW_ID_PREFIX):
        return
    event_id = attrs.workflow_id.removeprefix(DELIVERY_WORKFLOW_ID_PREFIX)
    delivery_input = await run.decoder.first(attrs.input.payloads, act.WebhookDeliveryInput)
    extra: dict[str, object] = {}
    if isinstance(delivery_input, Unreadable | Unrecognised):
        event_type = _kind_from_event_id(event_id)
        extra["unreadable"] = delivery_input.problem
    else:
        # Only the kind and the id: the event's data holds what the customer gave us.
        event_type = delivery_input.event.type.value
        event_id = delivery_input.event.id
        extra["reminder_number"] = delivery_input.event.data.reminder_number
        extra["webhook_only"] = delivery_input.required or None
    facts = {
        "event_type": event_type,
        "event_id": event_id,
        "delivery_workflow_id": attrs.workflow_id,
    }
    summary = f"webhook {event_type} ({event_id}) sent to the merchant's webhook"
    if "unreadable" in extra:
        summary += f" (event: {extra['unreadable']})"
    sent = run.add(event, "webhook_sent", SYSTEM, summary, **facts, **extra)
    delivery = Delivery(event_type, event_id, attrs.workflow_id, sent)
    run.deliveries[event.event_id] = delivery


async def _start_failed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.start_child_workflow_execution_failed_event_attributes
    delivery = run.deliveries.pop(attrs.initiated_event_id, None)
    if delivery is None:
        return
    cause = attrs.cause
    if cause == _ALREADY_EXISTS:
        # The case goes on: the delivery started the first time (before a reset) carries it.
        delivery.sent.details["already_started"] = True
        delivery.sent.summary += " (its delivery had already started; that one carries it)"
        return
    reason = _Cause.Name(cause).removeprefix("START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_")
    run.add(
        event,
        "webhook_failed",
        SYSTEM,
        f"{_named(delivery)} not sent: its delivery could not start ({reason.lower()})",
        **_facts(delivery),
        how="not_started",
        reason=reason.lower(),
    )


async def _completed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.child_workflow_execution_completed_event_attributes
    delivery = run.deliveries.pop(attrs.initiated_event_id, None)
    if delivery is None:
        return
    result = await run.decoder.first(attrs.result.payloads, act.WebhookDelivered)
    if isinstance(result, Unreadable | Unrecognised):
        run.add(
            event,
            "webhook_delivered",
            SYSTEM,
            f"{_named(delivery)} delivered: {result.problem}",
            **_facts(delivery),
            unreadable=result.problem,
        )
        return
    # Counts, not endpoint ids: which endpoint took it is the delivery's own story.
    taken, before = len(result.delivered_to), len(result.already_delivered)
    if taken or before:
        summary = f"{_named(delivery)} delivered to {_endpoints(taken)}" + (
            f" ({_endpoints(before)} had it already)" if before else ""
        )
    else:
        summary = f"{_named(delivery)} not needed: no endpoint takes {delivery.event_type}"
    run.add(
        event,
        "webhook_delivered",
        SYSTEM,
        summary,
        **_facts(delivery),
        endpoints=taken,
        endpoints_already=before or None,
    )


def _endpoints(count: int) -> str:
    return f"{count} endpoint{'s' if count != 1 else ''}"


def _last_error_type(failure: Failure) -> str | None:
    """The innermost error's type (our own error names, not the endpoint's words)."""
    while failure.HasField("cause"):
        failure = failure.cause
    if failure.HasField("application_failure_info"):
        return failure.application_failure_info.type or None
    if failure.HasField("timeout_failure_info"):
        return "timeout"
    return None


async def _ended(run: RunReading, event: HistoryEvent) -> None:
    """Failed, timed out, terminated or cancelled: the delivery stopped without delivering."""
    match event.event_type:
        case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
            failed = event.child_workflow_execution_failed_event_attributes
            initiated, how = failed.initiated_event_id, "gave_up"
            error_type = _last_error_type(failed.failure)
            said = "gave up" + (f" (last error: {error_type})" if error_type else "")
        case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
            initiated, how, error_type = (
                event.child_workflow_execution_timed_out_event_attributes.initiated_event_id,
                "timed_out",
                None,
            )
            said = "timed out"
        case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
            initiated, how, error_type = (
                event.child_workflow_execution_terminated_event_attributes.initiated_event_id,
                "terminated",
                None,
            )
            said = "was terminated"
        case _:
            initiated, how, error_type = (
                event.child_workflow_execution_canceled_event_attributes.initiated_event_id,
                "cancelled",
                None,
            )
            said = "was cancelled"
    delivery = run.deliveries.pop(initiated, None)
    if delivery is None:
        return
    run.add(
        event,
        "webhook_failed",
        SYSTEM,
        f"{_named(delivery)} not delivered: the delivery {said}; "
        f"see workflow {delivery.workflow_id}",
        **_facts(delivery),
        how=how,
        last_error_type=error_type,
    )


def deliveries_left_running(run: RunReading, event: HistoryEvent, when: str) -> None:
    """At the run's last event: deliveries it never heard the end of carry on on their own."""
    for delivery in run.deliveries.values():
        run.add(
            event,
            "webhook_in_flight",
            SYSTEM,
            f"{_named(delivery)} still being delivered when {when}; "
            f"its outcome is in workflow {delivery.workflow_id}",
            **_facts(delivery),
        )
    run.deliveries.clear()


WEBHOOK_HANDLERS: dict[EventType.ValueType, Handler] = {
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _initiated,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: _start_failed,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: _completed,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: _ended,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: _ended,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: _ended,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: _ended,
}
