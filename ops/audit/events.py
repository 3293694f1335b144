"""One handler per history event type; event types not in the table are plumbing (workflow
tasks, timers, markers) and say nothing about the case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    HistoryEvent,
    UpsertWorkflowSearchAttributesEventAttributes,
    WorkflowExecutionStartedEventAttributes,
)
from temporalio.converter import DataConverter, decode_search_attributes

from activities import contracts as act
from domain.case import AnswerReceipt, CaseState
from domain.request import CancellationRequest
from ops.audit.calls import ACTIVITY_READERS, CALL_READERS, RECEIPT_UPDATES, Call, unknown_call
from ops.audit.decoding import PayloadDecoder, Unreadable, Unrecognised, reads_as
from ops.audit.entry import TimelineEntry
from ops.audit.run import SYSTEM, CaseReading, OpenUpdate, RunReading, ScheduledActivity
from ops.audit.webhooks import WEBHOOK_HANDLERS, deliveries_left_running
from workflows.inputs import CaseInput
from workflows.search_attributes import CASE_STATUS

Handler = Callable[[RunReading, HistoryEvent], Awaitable[None]]


class _Carried(BaseModel):
    """A carried state, only as being there: its fields are skipped, not built or validated."""

    model_config = ConfigDict(title=CaseState.__name__, extra="ignore")


class RunStart(BaseModel):
    """What the timeline reads of a CaseInput (a run's start, a continue-as-new's input): the
    request and the round as CaseInput has them, and whether the run carries a state.

    The carried state is the case's whole state so far, growing with every reminder, and a
    long case carries it into each of its dozens of runs: validating it into a CaseState each
    time was most of a long case's timeline, for an entry that shows only that it is there.
    The merchant and the previous rounds, not shown either, are skipped too (extra fields).
    """

    model_config = ConfigDict(title=CaseInput.__name__)

    request: CancellationRequest
    round: int = Field(default=1, ge=1)
    carry: _Carried | None = None


reads_as(RunStart, CaseInput, "request", "round")


async def read_case(
    converter: DataConverter, runs: Sequence[Sequence[HistoryEvent]]
) -> list[TimelineEntry]:
    """The entries of every run, oldest run first."""
    case = start_reading(converter)
    await read_runs(case, runs)
    return case.entries


def start_reading(converter: DataConverter) -> CaseReading:
    return CaseReading(PayloadDecoder(converter))


async def read_runs(case: CaseReading, runs: Sequence[Sequence[HistoryEvent]]) -> None:
    """Reads further runs of the case, oldest first, into `case` (its entries grow)."""
    for events in runs:
        run = RunReading(case)
        for event in events:
            handler = HANDLERS.get(event.event_type)
            if handler is not None:
                await handler(run, event)


async def _started(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_started_event_attributes
    await _started_case(run, event, attrs)
    # Cases started by the client carry their first status from the start (issue 12).
    _status(run, event, attrs)


async def _started_case(
    run: RunReading, event: HistoryEvent, attrs: WorkflowExecutionStartedEventAttributes
) -> None:
    case_input = await run.decoder.first(attrs.input.payloads, RunStart)
    first_run, run.case.first_run = run.case.first_run, False
    if isinstance(case_input, Unreadable | Unrecognised):
        run.add_unrecognised(event, "a run of the case started", case_input)
        return
    run.round = case_input.round
    merchant_id = case_input.request.merchant_id
    subscription = case_input.request.subscription.name
    if case_input.carry is not None:
        run.add(
            event, "history_continued", SYSTEM, f"round {run.round} continues in a fresh history"
        )
    elif first_run and run.round == 1:
        run.add(
            event,
            "request_received",
            attrs.identity or "unknown",
            f"cancellation of {subscription or '?'} at {merchant_id or '?'} requested",
            merchant_id=merchant_id,
            subscription=subscription,
        )
    else:
        run.add(
            event,
            "round_started",
            SYSTEM,
            f"round {run.round}: a new request to {merchant_id or '?'}",
            merchant_id=merchant_id,
            subscription=subscription,
        )


async def _activity_scheduled(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.activity_task_scheduled_event_attributes
    name = attrs.activity_type.name
    reader = ACTIVITY_READERS.get(name)
    data = None if reader is None else await run.decoder.first(attrs.input.payloads, reader.model)
    run.scheduled[event.event_id] = ScheduledActivity(name, data)


async def _activity_completed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.activity_task_completed_event_attributes
    scheduled = run.scheduled.get(attrs.scheduled_event_id)
    reader = ACTIVITY_READERS.get(scheduled.name) if scheduled is not None else None
    if scheduled is None or reader is None:
        return
    sent = await run.decoder.first(attrs.result.payloads, act.EmailSent)
    if isinstance(sent, Unreadable | Unrecognised):
        run.add_unrecognised(event, f"{scheduled.name} done", sent)
    elif isinstance(scheduled.input, Unreadable | Unrecognised):
        run.add_unrecognised(event, f"{scheduled.name} done", scheduled.input)
    else:
        reader.read(run, event, scheduled.input, sent)


async def _activity_failed(run: RunReading, event: HistoryEvent) -> None:
    failed = (
        event.activity_task_failed_event_attributes
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        else event.activity_task_timed_out_event_attributes
    )
    scheduled = run.scheduled.get(failed.scheduled_event_id)
    name = scheduled.name if scheduled is not None else "?"
    message = await run.decoder.failure_message(failed.failure)
    run.add(event, "step_failed", SYSTEM, f"{name} failed: {message}", activity=name)


async def _call(
    run: RunReading, event: HistoryEvent, call: Call, payloads: Sequence[Payload]
) -> TimelineEntry:
    """Adds the call's entry (exactly one) and returns it."""
    reader = CALL_READERS.get(call.name)
    if reader is None:
        unknown_call(run, event, call)
    else:
        value = await run.decoder.first(payloads, reader.model)
        if isinstance(value, Unreadable | Unrecognised):
            run.add_unrecognised(
                event, f"{call.via} '{call.name}' received", value, call.identity or "unknown"
            )
        else:
            reader.read(run, event, call, value)
    return run.case.entries[-1]


async def _signaled(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_signaled_event_attributes
    await _call(run, event, Call(attrs.signal_name, attrs.identity, "signal"), attrs.input.payloads)


async def _update_accepted(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_update_accepted_event_attributes
    request = attrs.accepted_request
    call = Call(request.input.name, request.meta.identity, "update")
    entry = await _call(run, event, call, request.input.args.payloads)
    run.updates[attrs.protocol_instance_id] = OpenUpdate(call.name, entry)


async def _update_completed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_update_completed_event_attributes
    update = run.updates.get(attrs.meta.update_id)
    if update is None:
        return
    outcome = attrs.outcome
    if outcome.HasField("success") and update.name in RECEIPT_UPDATES:
        receipt = await run.decoder.first(outcome.success.payloads, AnswerReceipt)
        if isinstance(receipt, AnswerReceipt) and not receipt.recorded:
            update.entry.details["repeat"] = True
            update.entry.summary += " (same answer as already recorded; nothing changed)"
    elif outcome.HasField("failure"):
        update.entry.details["failed"] = await run.decoder.failure_message(outcome.failure)


async def _search_attributes(run: RunReading, event: HistoryEvent) -> None:
    _status(run, event, event.upsert_workflow_search_attributes_event_attributes)


def _status(
    run: RunReading,
    event: HistoryEvent,
    attrs: UpsertWorkflowSearchAttributesEventAttributes | WorkflowExecutionStartedEventAttributes,
) -> None:
    """A status change, from an upsert or from the attributes the case was started with."""
    # Only the status is read: the other attributes of each upsert are left encoded.
    found = attrs.search_attributes.indexed_fields.get(CASE_STATUS.name)
    if found is None:
        return
    only = SearchAttributes(indexed_fields={CASE_STATUS.name: found})
    values = decode_search_attributes(only).get(CASE_STATUS.name)
    if not values:
        return
    status = str(values[0])
    if status != run.case.status:
        run.add(
            event,
            "status",
            SYSTEM,
            f"status: {run.case.status or 'new'} -> {status}",
            status=status,
        )
        run.case.status = status


async def _continued_as_new(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_continued_as_new_event_attributes
    next_input = await run.decoder.first(attrs.input.payloads, RunStart)
    new_round = isinstance(next_input, RunStart) and next_input.round != run.round
    deliveries_left_running(
        run,
        event,
        f"round {run.round} ended" if new_round else "the case continued in a fresh history",
    )
    if isinstance(next_input, Unreadable | Unrecognised):
        run.add_unrecognised(event, "the case continues in a new run", next_input)
    elif next_input.round != run.round:
        run.add(
            event,
            "round_ended",
            SYSTEM,
            f"round {run.round} ended; round {next_input.round} begins",
            next_round=next_input.round,
        )


async def _completed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_completed_event_attributes
    state = await run.decoder.first(attrs.result.payloads, CaseState)
    deliveries_left_running(run, event, "the case closed")
    if isinstance(state, Unreadable | Unrecognised):
        run.add_unrecognised(event, "case closed", state)
        return
    status = state.status.value
    outcome = state.answer.outcome.value if state.answer is not None else None
    customer_outcome = state.customer_outcome.kind.value if state.customer_outcome else None
    run.add(
        event,
        "case_closed",
        SYSTEM,
        f"case {status}" + (f" ({outcome})" if outcome else ""),
        status=status,
        outcome=outcome,
        customer_outcome=customer_outcome,
    )


async def _failed(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_failed_event_attributes
    message = await run.decoder.failure_message(attrs.failure)
    deliveries_left_running(run, event, "the case failed")
    run.add(event, "case_failed", SYSTEM, f"case failed: {message}")


async def _terminated(run: RunReading, event: HistoryEvent) -> None:
    attrs = event.workflow_execution_terminated_event_attributes
    deliveries_left_running(run, event, "the case was terminated")
    run.add(
        event,
        "case_terminated",
        attrs.identity or "unknown",
        f"terminated: {attrs.reason or 'no reason given'}",
    )


async def _cancelled(run: RunReading, event: HistoryEvent) -> None:
    deliveries_left_running(run, event, "the case was cancelled")
    run.add(event, "case_cancelled", "unknown", "workflow cancelled")


async def _timed_out(run: RunReading, event: HistoryEvent) -> None:
    deliveries_left_running(run, event, "the case timed out")
    run.add(event, "case_timed_out", SYSTEM, "workflow timed out")


HANDLERS: dict[EventType.ValueType, Handler] = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _started,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _activity_scheduled,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _activity_completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: _activity_failed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _activity_failed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _signaled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _update_accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _update_completed,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _search_attributes,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _continued_as_new,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _completed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _failed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _terminated,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _cancelled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _timed_out,
    **WEBHOOK_HANDLERS,
}
