"""The timeline of a case: read from its workflow history alone, every run of it, following
continue-as-new back to the first, for open and closed cases. Customer identifiers are left out:
it says what happened, not to whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.converter import DataConverter

from cases.client import CaseHistoryNotFound as CaseHistoryNotFound
from cases.client import HistorySource
from ops.audit.entry import Timeline
from ops.audit.events import read_case
from ops.terminal import visible
from workflows.inputs import workflow_id_for


async def case_timeline(client: Client, case_id: str) -> Timeline:
    """The whole timeline of the case, oldest first, across all its runs in Temporal, fetched
    as the console's case page fetches them: a long case's ended runs at once, not one by one.
    CaseHistoryNotFound when Temporal holds no run of it."""
    runs = await HistorySource(client).case_histories(case_id)
    return await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)


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
