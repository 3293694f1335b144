"""A case's audit log: its workflow history, read as who did what when.

Reads the workflow history and nothing else (every run of the case, following continue-as-new
back to the first), for open and closed cases, decoding payloads with the client's data
converter (so encrypted histories read in clear with the right keys). Customer identifiers
are left out of the timeline: it says what happened, not to whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter, decode_search_attributes

from activities import contracts as act
from workflows.cancellation import workflow_id_for
from workflows.search_attributes import CASE_STATUS

SYSTEM = "cancelflow"
UNREADABLE = "(encrypted: this process does not have the key; set CANCELFLOW_CODEC__KEYS)"


@dataclass
class TimelineEntry:
    at: datetime
    round: int
    kind: str
    actor: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


@dataclass
class Timeline:
    case_id: str
    workflow_id: str
    runs: list[str]
    entries: list[TimelineEntry]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.entries]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "workflow_id": self.workflow_id,
            "runs": self.runs,
            "entries": [e.to_json() for e in self.entries],
        }


class CaseHistoryNotFound(LookupError):
    pass


async def case_timeline(client: Client, case_id: str) -> Timeline:
    """The whole timeline of the case, oldest first, across all its runs."""
    from temporalio.service import RPCError, RPCStatusCode

    workflow_id = workflow_id_for(case_id)
    runs: list[list[HistoryEvent]] = []
    run_ids: list[str] = []
    run_id: str | None = None
    while True:
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id, run_id=run_id)
        try:
            events = [event async for event in handle.fetch_history_events()]
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND and not runs:
                raise CaseHistoryNotFound(f"no case '{case_id}' (workflow {workflow_id})") from err
            raise
        if not events:
            break
        started = events[0].workflow_execution_started_event_attributes
        runs.insert(0, events)
        run_ids.insert(0, run_id or started.original_execution_run_id)
        # Each run's first event names the run it continues; the first run names none.
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            break
    return await timeline_of_runs(client.data_converter, case_id, runs, run_ids)


async def timeline_of_runs(
    converter: DataConverter,
    case_id: str,
    runs: Sequence[Sequence[HistoryEvent]],
    run_ids: list[str],
) -> Timeline:
    """The timeline of a case from its runs' history events, oldest run first."""
    reader = _HistoryReader(converter)
    entries: list[TimelineEntry] = []
    for events in runs:
        entries += await reader.read_run(events)
    return Timeline(
        case_id=case_id, workflow_id=workflow_id_for(case_id), runs=run_ids, entries=entries
    )


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


class _HistoryReader:
    def __init__(self, converter: DataConverter) -> None:
        self._converter = converter
        self._status: str | None = None
        self._first_run = True

    async def _decode(self, payloads: Sequence[Payload]) -> list[Any]:
        if not payloads:
            return []
        try:
            return list(await self._converter.decode(payloads))
        except Exception:  # noqa: BLE001 - a missing key must not hide the timeline
            return [UNREADABLE for _ in payloads]

    async def _one(self, payloads: Sequence[Payload]) -> Any:
        values = await self._decode(payloads)
        return values[0] if values else None

    async def _failure_message(self, failure: Failure) -> str:
        try:
            error = await self._converter.decode_failure(failure)
        except Exception:  # noqa: BLE001
            return failure.message or UNREADABLE
        cause = error.__cause__
        text = str(error)
        return f"{text}: {cause}" if cause is not None and str(cause) not in text else text

    async def read_run(self, events: Sequence[HistoryEvent]) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        scheduled: dict[int, tuple[str, Any]] = {}
        updates: dict[str, TimelineEntry] = {}
        round_ = 1

        def add(event: HistoryEvent, kind: str, actor: str, summary: str, **details: Any) -> None:
            entry = TimelineEntry(
                _time(event),
                round_,
                kind,
                actor,
                summary,
                {k: v for k, v in details.items() if v is not None},
            )
            entries.append(entry)

        for event in events:
            etype = event.event_type
            if etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                attrs = event.workflow_execution_started_event_attributes
                case_input = _as_dict(await self._one(attrs.input.payloads))
                round_ = int(case_input.get("round", 1) or 1)
                request = _as_dict(case_input.get("request"))
                subscription = _as_dict(request.get("subscription")).get("name")
                merchant_id = request.get("merchant_id")
                if case_input.get("carry"):
                    add(
                        event,
                        "history_continued",
                        SYSTEM,
                        f"round {round_} continues in a fresh history",
                    )
                elif self._first_run and round_ == 1:
                    add(
                        event,
                        "request_received",
                        attrs.identity or "unknown",
                        f"cancellation of {subscription or '?'} at {merchant_id or '?'} requested",
                        merchant_id=merchant_id,
                        subscription=subscription,
                    )
                else:
                    add(
                        event,
                        "round_started",
                        SYSTEM,
                        f"round {round_}: a new request to {merchant_id or '?'}",
                        merchant_id=merchant_id,
                        subscription=subscription,
                    )
                self._first_run = False

            elif etype == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs_s = event.activity_task_scheduled_event_attributes
                scheduled[event.event_id] = (
                    attrs_s.activity_type.name,
                    _as_dict(await self._one(attrs_s.input.payloads)),
                )

            elif etype == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                attrs_c = event.activity_task_completed_event_attributes
                name, data = scheduled.get(attrs_c.scheduled_event_id, ("?", {}))
                result = _as_dict(await self._one(attrs_c.result.payloads))
                _activity_entry(add, event, name, data, result, attrs_c.identity)

            elif etype in (
                EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
                EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
            ):
                failed = (
                    event.activity_task_failed_event_attributes
                    if etype == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
                    else event.activity_task_timed_out_event_attributes
                )
                name, _ = scheduled.get(failed.scheduled_event_id, ("?", {}))
                message = await self._failure_message(failed.failure)
                add(event, "step_failed", SYSTEM, f"{name} failed: {message}", activity=name)

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                attrs_g = event.workflow_execution_signaled_event_attributes
                payload = _as_dict(await self._one(attrs_g.input.payloads))
                _handler_entry(add, event, attrs_g.signal_name, payload, attrs_g.identity, "signal")

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                attrs_u = event.workflow_execution_update_accepted_event_attributes
                request_u = attrs_u.accepted_request
                payload = _as_dict(await self._one(request_u.input.args.payloads))
                before = len(entries)
                _handler_entry(
                    add, event, request_u.input.name, payload, request_u.meta.identity, "update"
                )
                if len(entries) > before:
                    updates[attrs_u.protocol_instance_id] = entries[-1]

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                attrs_d = event.workflow_execution_update_completed_event_attributes
                entry = updates.get(attrs_d.meta.update_id)
                outcome = attrs_d.outcome
                if entry is not None and outcome.HasField("success"):
                    receipt = _as_dict(await self._one(outcome.success.payloads))
                    if receipt.get("recorded") is False:
                        entry.details["repeat"] = True
                        entry.summary += " (same answer as already recorded; nothing changed)"
                elif entry is not None and outcome.HasField("failure"):
                    entry.details["failed"] = await self._failure_message(outcome.failure)

            elif etype == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                attrs_a = event.upsert_workflow_search_attributes_event_attributes
                decoded = decode_search_attributes(attrs_a.search_attributes)
                values = decoded.get(CASE_STATUS.name)
                if values:
                    status = str(values[0])
                    if status != self._status:
                        add(
                            event,
                            "status",
                            SYSTEM,
                            f"status: {self._status or 'new'} -> {status}",
                            status=status,
                        )
                        self._status = status

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                attrs_n = event.workflow_execution_continued_as_new_event_attributes
                next_input = _as_dict(await self._one(attrs_n.input.payloads))
                next_round = int(next_input.get("round", round_) or round_)
                if next_round != round_:
                    add(
                        event,
                        "round_ended",
                        SYSTEM,
                        f"round {round_} ended; round {next_round} begins",
                        next_round=next_round,
                    )

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                attrs_e = event.workflow_execution_completed_event_attributes
                state = _as_dict(await self._one(attrs_e.result.payloads))
                status = state.get("status", "closed")
                outcome_kind = _as_dict(state.get("customer_outcome")).get("kind")
                answer_outcome = _as_dict(state.get("answer")).get("outcome")
                add(
                    event,
                    "case_closed",
                    SYSTEM,
                    f"case {status}" + (f" ({answer_outcome})" if answer_outcome else ""),
                    status=status,
                    outcome=answer_outcome,
                    customer_outcome=outcome_kind,
                )

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
                attrs_f = event.workflow_execution_failed_event_attributes
                message = await self._failure_message(attrs_f.failure)
                add(event, "case_failed", SYSTEM, f"case failed: {message}")

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
                attrs_t = event.workflow_execution_terminated_event_attributes
                add(
                    event,
                    "case_terminated",
                    attrs_t.identity or "unknown",
                    f"terminated: {attrs_t.reason or 'no reason given'}",
                )

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
                add(event, "case_cancelled", "unknown", "workflow cancelled")

            elif etype == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
                add(event, "case_timed_out", SYSTEM, "workflow timed out")
        return entries


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _activity_entry(
    add: Any,
    event: HistoryEvent,
    name: str,
    data: dict[str, Any],
    result: dict[str, Any],
    worker_identity: str,
) -> None:
    message_id = result.get("message_id")
    merchant = _as_dict(data.get("merchant"))
    merchant_name = merchant.get("display_name") or data.get("merchant_display_name") or "?"
    resent = True if result.get("already_sent") else None
    if name == act.SEND_MERCHANT_REQUEST:
        add(
            event,
            "merchant_email_sent",
            SYSTEM,
            f"cancellation request emailed to {merchant_name}, Message-ID {message_id}",
            message_id=message_id,
            to=merchant.get("cancellation_emails"),
            found_in_outbox=resent,
        )
    elif name == act.SEND_MERCHANT_REMINDER:
        number = data.get("reminder_number")
        add(
            event,
            "reminder_sent",
            SYSTEM,
            f"reminder {number} emailed to {merchant_name}, Message-ID {message_id}",
            message_id=message_id,
            reminder_number=number,
            found_in_outbox=resent,
        )
    elif name == act.SEND_MERCHANT_WITHDRAWAL:
        add(
            event,
            "withdrawal_sent",
            SYSTEM,
            f"withdrawal emailed to {merchant_name}, Message-ID {message_id}",
            message_id=message_id,
            found_in_outbox=resent,
        )
    elif name == act.NOTIFY_CUSTOMER:
        kind = data.get("kind")
        outcome = _as_dict(data.get("outcome")).get("kind")
        add(
            event,
            "customer_notified",
            SYSTEM,
            f"customer emailed: {outcome or kind}, Message-ID {message_id}",
            message_id=message_id,
            notification=kind,
            customer_outcome=outcome,
            found_in_outbox=resent,
        )
    elif name == act.NOTIFY_OPS:
        kind = data.get("kind")
        if kind == act.OpsNotificationKind.ESCALATION.value:
            waited = data.get("business_days_waited")
            add(
                event,
                "escalated",
                SYSTEM,
                f"escalated to ops after {waited} business days without an answer"
                if waited is not None
                else "escalated to ops",
                message_id=message_id,
                business_days_waited=waited,
            )
        else:
            add(
                event,
                "ops_notified",
                SYSTEM,
                f"ops emailed: {kind}",
                message_id=message_id,
                notification=kind,
            )
    # load_merchant and unknown activities are plumbing, not part of the story.


def _handler_entry(
    add: Any,
    event: HistoryEvent,
    name: str,
    payload: dict[str, Any],
    identity: str,
    via: str,
) -> None:
    if name in ("submit_answer", "merchant_response"):
        answer = _as_dict(payload.get("answer"))
        channel = answer.get("channel", "?")
        responder = answer.get("responded_by") or identity or "unknown"
        outcome = answer.get("outcome", UNREADABLE if not answer else "?")
        reference = answer.get("reference")
        add(
            event,
            "answer_received",
            str(responder),
            f"answer '{outcome}' through {channel}" + (f" (ref {reference})" if reference else ""),
            outcome=outcome,
            channel=channel,
            responded_by=responder,
            reference=reference,
            answered_at=answer.get("answered_at"),
            via=via,
            **_answer_dates(answer),
        )
    elif name == "email_reply_received":
        add(
            event,
            "email_reply_received",
            str(payload.get("sender") or "unknown"),
            f"merchant replied by email, Message-ID {payload.get('message_id')}",
            message_id=payload.get("message_id"),
            sender=payload.get("sender"),
            received_at=payload.get("received_at"),
        )
    elif name in ("withdraw", "withdraw_case"):
        actor = payload.get("requested_by") or identity or "unknown"
        add(
            event,
            "withdrawal_requested",
            str(actor),
            "customer withdrew the request",
            reason=payload.get("reason"),
            via=via,
        )
    elif name == "snooze":
        actor = payload.get("requested_by") or identity or "unknown"
        add(
            event,
            "snoozed",
            str(actor),
            f"chasing paused until {payload.get('until')}: {payload.get('reason')}",
            until=payload.get("until"),
            reason=payload.get("reason"),
        )
    elif name in ("correct_details", "correct_customer_details"):
        actor = payload.get("requested_by") or identity or "unknown"
        add(event, "details_corrected", str(actor), "customer sent corrected details", via=via)
    else:
        add(event, f"{via}_{name}", identity or "unknown", f"{via} '{name}' received")


def _answer_dates(answer: dict[str, Any]) -> dict[str, Any]:
    """The outcome's own date fields; the other-reason message stays out (ops read it in show)."""
    keys = ("access_until", "cancelled_on", "contract_ends_on")
    return {k: answer[k] for k in keys if k in answer}


def render_text(timeline: Timeline) -> str:
    lines = [
        f"Case {timeline.case_id} (workflow {timeline.workflow_id}, "
        f"{len(timeline.runs)} run{'s' if len(timeline.runs) != 1 else ''})"
    ]
    width = max((len(e.kind) for e in timeline.entries), default=10)
    for e in timeline.entries:
        when = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        lines.append(f"{when}  r{e.round}  {e.kind:<{width}}  {e.summary}  [by {e.actor}]")
    return "\n".join(lines)
