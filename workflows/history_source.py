"""A case's history wherever it still is: Temporal while it holds it, else the case archive.

Client code (like workflows/client.py): the audit timeline, `cases show` and the APIs read a
case through this, so a case whose history Temporal's retention deleted reads the same from
the archive. The archive is injected (storage.archive.ArchiveStore fits ArchivedHistories),
keeping workflows free of storage imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from domain.case import CaseState
from workflows.cancellation import workflow_id_for


class ArchivedHistories(Protocol):
    async def histories_of_case(self, case_id: str) -> list[tuple[str, WorkflowHistory]]: ...


class CaseHistoryNotFound(LookupError):
    """Neither Temporal nor the archive holds the case."""


@dataclass(frozen=True)
class CaseHistories:
    case_id: str
    run_ids: list[str]
    histories: list[WorkflowHistory]
    """Oldest run first."""
    from_archive: int
    """How many of the runs were read from the archive."""

    @property
    def events(self) -> list[list[HistoryEvent]]:
        return [list(h.events) for h in self.histories]


class HistorySource:
    def __init__(self, client: Client, archive: ArchivedHistories | None = None) -> None:
        self._client = client
        self._archive = archive

    async def case_histories(self, case_id: str) -> CaseHistories:
        """Every run of the case, following continue-as-new back to the first run."""
        workflow_id = workflow_id_for(case_id)
        archived: dict[str, WorkflowHistory] | None = None
        runs: list[WorkflowHistory] = []
        run_ids: list[str] = []
        from_archive = 0
        run_id: str | None = None
        while True:
            events = await self._temporal_events(workflow_id, run_id)
            if events is None:
                if archived is None:
                    archived = await self._archived(case_id)
                if run_id is None:
                    # The latest run is gone from Temporal: the archive's newest run is it.
                    run_id = next(reversed(archived), None) if archived else None
                history = archived.get(run_id) if run_id else None
                if history is None:
                    if not runs:
                        raise CaseHistoryNotFound(
                            f"no case '{case_id}' (workflow {workflow_id}) "
                            "in Temporal or the archive"
                        )
                    break  # an older run lost in both places; show what remains
                events = list(history.events)
                from_archive += 1
            if not events:
                break
            started = events[0].workflow_execution_started_event_attributes
            runs.insert(0, WorkflowHistory(workflow_id, events))
            run_ids.insert(0, run_id or started.original_execution_run_id)
            run_id = started.continued_execution_run_id or None
            if run_id is None:
                break
        return CaseHistories(case_id, run_ids, runs, from_archive)

    async def _temporal_events(
        self, workflow_id: str, run_id: str | None
    ) -> list[HistoryEvent] | None:
        handle: Any = self._client.get_workflow_handle(workflow_id, run_id=run_id)
        try:
            return [event async for event in handle.fetch_history_events()]
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def _archived(self, case_id: str) -> dict[str, WorkflowHistory]:
        if self._archive is None:
            return {}
        return dict(await self._archive.histories_of_case(case_id))

    async def archived_state(self, case_id: str) -> CaseState | None:
        """A closed case's final state from the archive (its result), when Temporal lost it."""
        if self._archive is None:
            return None
        runs = await self._archive.histories_of_case(case_id)
        if not runs:
            return None
        _, last = runs[-1]
        return await final_state(self._client, list(last.events))


async def final_state(client: Client, events: list[HistoryEvent]) -> CaseState | None:
    """The case's state as its last run ended: the result of a completed run, else the
    state the `state` query answers after replaying the run (failed or terminated)."""
    closing = events[-1] if events else None
    if closing is None:
        return None
    if closing.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        payloads = closing.workflow_execution_completed_event_attributes.result.payloads
        [state] = await client.data_converter.decode(payloads, [CaseState])
        return state if isinstance(state, CaseState) else None
    from workflows.replayed_state import state_after_replay

    return await state_after_replay(client.data_converter, events)
