"""The timeline of a case: read from its workflow history alone, every run of it, following
continue-as-new back to the first, for open and closed cases. Customer identifiers are left out:
it says what happened, not to whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from ops.audit.entry import Timeline
from ops.audit.events import read_case
from ops.terminal import visible
from workflows.inputs import workflow_id_for


class CaseHistoryNotFound(LookupError):
    pass


async def case_timeline(client: Client, case_id: str) -> Timeline:
    """The whole timeline of the case, oldest first, across all its runs."""
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
    entries = await read_case(converter, runs)
    return Timeline(
        case_id=case_id, workflow_id=workflow_id_for(case_id), runs=run_ids, entries=entries
    )


def render_text(timeline: Timeline) -> str:
    """One line per entry; outside text (names, senders, reasons) has its control characters
    written out, so it can neither forge a line nor drive the terminal."""
    lines = [
        f"Case {visible(timeline.case_id)} (workflow {visible(timeline.workflow_id)}, "
        f"{len(timeline.runs)} run{'s' if len(timeline.runs) != 1 else ''})"
    ]
    width = max((len(e.kind) for e in timeline.entries), default=10)
    for e in timeline.entries:
        when = e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        lines.append(
            f"{when}  r{e.round}  {visible(e.kind):<{width}}  {visible(e.summary)}"
            f"  [by {visible(e.actor)}]"
        )
    return "\n".join(lines)
