"""A case's history wherever it still is: Temporal while it holds it, else the case archive.

Client code (like cases/client.py): the audit timeline, `cases show` and the APIs read a
case through this, so a case whose history Temporal's retention deleted reads the same from
the archive. The archive is injected (storage.archive.ArchiveStore fits ArchivedHistories),
keeping workflows free of storage imports. The archiving job's own Temporal reads (closed runs
in visibility, their raw histories) are here too: storage/ holds only the PostgreSQL side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from cases.queries import CASE_WORKFLOW_TYPE
from domain.archive import ClosedRun, RunHistory
from domain.case import CaseState
from domain.request import CancellationRequest
from workflows import search_attributes as sa
from workflows.cancellation import workflow_id_for
from workflows.inputs import CaseInput


class ArchivedHistories(Protocol):
    async def histories_of_case(self, case_id: str) -> list[tuple[str, WorkflowHistory]]: ...

    async def merchant_of_case(self, case_id: str) -> str | None: ...


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


@dataclass(frozen=True)
class ArchivedCase:
    """A case only the archive still holds, as the live case's reads would show it."""

    state: CaseState
    request: CancellationRequest


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

    async def _last_archived_run(self, case_id: str) -> list[HistoryEvent] | None:
        """The events of the case's newest archived run (None when the archive lacks it)."""
        if self._archive is None:
            return None
        runs = await self._archive.histories_of_case(case_id)
        return list(runs[-1][1].events) if runs else None

    async def archived_state(self, case_id: str) -> CaseState | None:
        """A closed case's final state from the archive (its result), when Temporal lost it."""
        events = await self._last_archived_run(case_id)
        return None if events is None else await final_state(self._client, events)

    async def archived_merchant(self, case_id: str) -> str | None:
        """The archived case's merchant: one indexed lookup, found or not."""
        if self._archive is None:
            return None
        return await self._archive.merchant_of_case(case_id)

    async def archived_case(self, case_id: str) -> ArchivedCase | None:
        """The final state and the request of a case Temporal no longer holds (None when the
        archive lacks it too). The request is the last run's input, as
        cases.client.original_request reads it from a live case."""
        events = await self._last_archived_run(case_id)
        if events is None:
            return None
        state = await final_state(self._client, events)
        request = await _request_of(self._client, events)
        if state is None or request is None:
            return None
        return ArchivedCase(state=state, request=request)


async def _request_of(client: Client, events: list[HistoryEvent]) -> CancellationRequest | None:
    if not events:
        return None
    payloads = events[0].workflow_execution_started_event_attributes.input.payloads
    if not payloads:
        return None
    [case_input] = await client.data_converter.decode(payloads, [CaseInput])
    return case_input.request if isinstance(case_input, CaseInput) else None


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
    from cases.replayed_state import state_after_replay

    return await state_after_replay(client.data_converter, events)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def closed_runs_query(since: datetime | None, before: datetime | None = None) -> str:
    clauses = [f"WorkflowType = '{CASE_WORKFLOW_TYPE}'", "ExecutionStatus != 'Running'"]
    if since is not None:
        clauses.append(f"CloseTime >= '{_rfc3339(since)}'")
    if before is not None:
        clauses.append(f"CloseTime < '{_rfc3339(before)}'")
    return " AND ".join(clauses)


def _closed_run(execution: WorkflowExecution) -> ClosedRun | None:
    if execution.close_time is None or execution.status is None:
        return None
    attrs = execution.typed_search_attributes
    return ClosedRun(
        workflow_id=execution.id,
        run_id=execution.run_id,
        close_time=execution.close_time,
        start_time=execution.start_time,
        workflow_status=execution.status.name,
        merchant_id=attrs.get(sa.MERCHANT_ID),
        round=attrs.get(sa.CASE_ROUND),
        final_status=attrs.get(sa.CASE_STATUS),
        requested_at=attrs.get(sa.REQUESTED_AT),
    )


class TemporalArchiveSource:
    """Where the archive copies from: closed case runs in visibility, and their histories,
    copied as Temporal's protobuf bytes (payloads never decoded here)."""

    def __init__(self, client: Client, page_size: int = 500) -> None:
        self._client = client
        self._page_size = page_size

    async def closed_runs(
        self, since: datetime | None, before: datetime | None = None
    ) -> AsyncIterator[ClosedRun]:
        query = closed_runs_query(since, before)
        async for execution in self._client.list_workflows(query, page_size=self._page_size):
            run = _closed_run(execution)
            if run is not None:
                yield run

    async def history_of(self, run: ClosedRun) -> RunHistory:
        """The run's complete history, fetched in pages (RPCError NOT_FOUND once deleted)."""
        handle = self._client.get_workflow_handle(run.workflow_id, run_id=run.run_id)
        # Paged at the server's default size (a bigger page only makes the server warn).
        events = [e async for e in handle.fetch_history_events()]
        return RunHistory(History(events=events).SerializeToString(), len(events))
