"""A case's history wherever it still is: Temporal while it holds it, else the case archive.

Client code (like cases/client.py): the audit timeline, `cases show` and the APIs read a
case through this, so a case whose history Temporal's retention deleted reads the same from
the archive. The archive is injected (storage.archive.ArchiveStore fits ArchivedHistories),
keeping workflows free of storage imports. The archiving job's own Temporal reads (closed runs
in visibility, their raw histories) are here too: storage/ holds only the PostgreSQL side.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from cases.queries import CASE_WORKFLOW_TYPE, quoted
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


_CLOSING = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


def run_closed(events: Sequence[HistoryEvent]) -> bool:
    """Whether the run has ended: its history then never changes."""
    return bool(events) and events[-1].event_type in _CLOSING


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

    @property
    def closed(self) -> int:
        """How many runs, from the oldest, have ended (all but a running last one)."""
        count = 0
        for history in self.histories:
            if not run_closed(history.events):
                break
            count += 1
        return count


class ClosedRunCache:
    """The histories of ended runs, by run id, as Temporal holds them, least recently used
    dropped first past `max_bytes`. An ended run's history never changes, so a case page
    opened again fetches only the case's running run.

    Its payloads stay as Temporal stores them, sealed under the case's key (workers/codec.py):
    it holds nothing that Temporal does not, and an erasure (which destroys the key) leaves
    them as unreadable here as there. Decoded values are never kept here.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._runs: OrderedDict[tuple[str, str], tuple[list[HistoryEvent], int]] = OrderedDict()

    def get(self, workflow_id: str, run_id: str) -> list[HistoryEvent] | None:
        kept = self._runs.get((workflow_id, run_id))
        if kept is None:
            return None
        self._runs.move_to_end((workflow_id, run_id))
        return kept[0]

    def put(self, workflow_id: str, run_id: str, events: list[HistoryEvent]) -> None:
        key = (workflow_id, run_id)
        if key in self._runs or not run_closed(events):
            return
        size = sum(e.ByteSize() for e in events)
        if size > self._max_bytes:
            return
        self._runs[key] = (events, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            _, (_, dropped) = self._runs.popitem(last=False)
            self._bytes -= dropped

    def clear(self) -> None:
        self._runs.clear()
        self._bytes = 0


# Runs of one case fetched at once when a case page is first opened (a long case has dozens,
# each its own history RPCs): enough to overlap them, few enough not to crowd the frontend.
FETCH_CONCURRENCY = 8


@dataclass(frozen=True)
class ArchivedCase:
    """A case only the archive still holds, as the live case's reads would show it."""

    state: CaseState
    request: CancellationRequest


class HistorySource:
    def __init__(
        self,
        client: Client,
        archive: ArchivedHistories | None = None,
        closed_runs: ClosedRunCache | None = None,
    ) -> None:
        self._client = client
        self._archive = archive
        self._closed_runs = closed_runs

    async def case_histories(self, case_id: str) -> CaseHistories:
        """Every run of the case, following continue-as-new back to the first run."""
        workflow_id = workflow_id_for(case_id)
        archived: dict[str, WorkflowHistory] | None = None
        runs: list[WorkflowHistory] = []
        run_ids: list[str] = []
        from_archive = 0
        run_id: str | None = None
        fetched: dict[str, list[HistoryEvent]] | None = None
        while True:
            events = self._cached(workflow_id, run_id)
            if events is None and run_id is not None and fetched is None:
                # The chain goes on past what is cached: its other runs at once, not one by one.
                fetched = await self._fetch_ended_runs(workflow_id)
            if events is None and run_id is not None and fetched is not None:
                events = fetched.get(run_id)
            if events is None:
                events = await self._temporal_events(workflow_id, run_id)
                if events is not None and run_id is not None and self._closed_runs is not None:
                    self._closed_runs.put(workflow_id, run_id, events)
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

    def _cached(self, workflow_id: str, run_id: str | None) -> list[HistoryEvent] | None:
        if run_id is None or self._closed_runs is None:
            return None
        return self._closed_runs.get(workflow_id, run_id)

    async def _fetch_ended_runs(self, workflow_id: str) -> dict[str, list[HistoryEvent]]:
        """The histories of the workflow's ended runs that visibility lists and the cache lacks,
        fetched concurrently. Only a head start: a run visibility does not list yet, or one
        whose fetch fails, is fetched again on its own by the caller."""
        query = f"WorkflowId = {quoted(workflow_id)} AND ExecutionStatus != 'Running'"
        try:
            listed = [
                e.run_id
                async for e in self._client.list_workflows(query)
                if self._cached(workflow_id, e.run_id) is None
            ]
        except RPCError:
            return {}
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch(run_id: str) -> tuple[str, list[HistoryEvent] | None]:
            async with gate:
                try:
                    return run_id, await self._temporal_events(workflow_id, run_id)
                except RPCError:
                    return run_id, None

        found: dict[str, list[HistoryEvent]] = {}
        for run_id, events in await asyncio.gather(*(fetch(r) for r in listed)):
            if events is not None:
                found[run_id] = events
                if self._closed_runs is not None:
                    self._closed_runs.put(workflow_id, run_id, events)
        return found

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
