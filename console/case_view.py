"""One case as the console shows it: its state, its audit timeline (the entries of `cases
audit`), its emails sent and replies received, its webhook deliveries. Read only."""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from temporalio.client import Client

from cases.client import CaseHistoryNotFound, CaseNotFound, HistorySource, settled_state
from cases.history_source import CaseHistories
from cases.queries import case_query, quoted
from console.inbox import ReplySummary, has_suggestions, parse_suggestion
from domain.case import CaseState
from domain.reply_token import case_reference
from inbound.store import InboundMailStore, text_of
from ops.audit import Timeline, TimelineEntry, timeline_of_runs
from workflows.inputs import WORKFLOW_ID_PREFIX, workflow_id_for

STATE_TIMEOUT = timedelta(seconds=5)
_REFERENCE = re.compile(r"^CF-[A-Z2-7]{8}$")
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


@dataclass(frozen=True)
class StoredReplyView:
    reply: ReplySummary
    signal_status: str
    text: str


@dataclass(frozen=True)
class CaseView:
    case_id: str
    workflow_id: str
    reference: str
    state: CaseState
    timeline: Timeline | None
    replies: list[StoredReplyView]

    @property
    def deliveries(self) -> list[TimelineEntry]:
        entries = self.timeline.entries if self.timeline else []
        return [e for e in entries if e.kind.startswith("webhook_")]


class TimelineCache:
    """Timelines already read, by case, with the shape of the history they were read from.

    A history only grows: the same runs with the same number of events are the same events,
    so a case page opened again (after every act) decodes only a history that changed.
    Reading a long case's timeline costs far more than fetching its history (a case with 250
    reminders: about 180 ms against 40 ms, docs/ops-console.md).
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[tuple[object, ...], Timeline]] = OrderedDict()

    async def timeline(self, client: Client, case_id: str, runs: CaseHistories) -> Timeline:
        shape = (*runs.run_ids, sum(len(events) for events in runs.events))
        cached = self._entries.get(case_id)
        if cached is not None and cached[0] == shape:
            self._entries.move_to_end(case_id)
            return cached[1]
        read = await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)
        self._entries[case_id] = (shape, read)
        self._entries.move_to_end(case_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return read

    def clear(self) -> None:
        self._entries.clear()


async def read_case(
    client: Client,
    pool: asyncpg.Pool,
    history: HistorySource,
    case_id: str,
    timelines: TimelineCache | None = None,
) -> CaseView:
    """Raises CaseNotFound when neither Temporal nor the archive knows the case."""

    async def state() -> CaseState:
        try:
            return await settled_state(client, case_id, rpc_timeout=STATE_TIMEOUT)
        except CaseNotFound:
            archived = await history.archived_state(case_id)
            if archived is None:
                raise
            return archived

    async def timeline() -> Timeline | None:
        try:
            runs = await history.case_histories(case_id)
        except CaseHistoryNotFound:
            return None
        return await (timelines or TimelineCache(size=0)).timeline(client, case_id, runs)

    found_state, found_timeline, replies = await asyncio.gather(
        state(), timeline(), stored_replies(pool, case_id)
    )
    return CaseView(
        case_id=case_id,
        workflow_id=workflow_id_for(case_id),
        reference=case_reference(case_id),
        state=found_state,
        timeline=found_timeline,
        replies=replies,
    )


async def stored_replies(pool: asyncpg.Pool, case_id: str) -> list[StoredReplyView]:
    store = InboundMailStore(pool)
    suggestions: dict[str, str | None] = {}
    if await has_suggestions(pool):
        rows = await pool.fetch(
            "SELECT message_id, suggestion::text AS s FROM inbound_mail WHERE case_id = $1",
            case_id,
        )
        suggestions = {row["message_id"]: row["s"] for row in rows}
    views = []
    for reply in await store.replies_for(case_id):
        message = await store.raw_message(reply.id)
        summary = ReplySummary(
            message_id=reply.message_id,
            sender=reply.sender,
            subject=reply.subject,
            received_at=reply.received_at,
            sender_verified=reply.sender_verified,
            unverified_reason=reply.unverified_reason,
            suggestion=parse_suggestion(suggestions.get(reply.message_id)),
        )
        views.append(StoredReplyView(summary, reply.signal_status, text_of(message)))
    return views


async def find_cases(client: Client, pool: asyncpg.Pool, text: str) -> list[str] | str:
    """Case ids for a reference (CF-…) or case id; a merchant id returns that id as a str.

    A reference is a digest of the case id, so it is looked up in the subjects of the merchant
    emails that carried it, and each hit is checked against the digest.
    """
    wanted = text.strip()
    if _REFERENCE.fullmatch(wanted.upper()):
        reference = wanted.upper()
        rows = await pool.fetch(
            "SELECT DISTINCT case_id FROM email_outbox WHERE strpos(subject, $1) > 0", reference
        )
        return [r["case_id"] for r in rows if case_reference(r["case_id"]) == reference]
    if not _CASE_ID.fullmatch(wanted):
        return []
    if await pool.fetchval("SELECT 1 FROM merchants WHERE merchant_id = $1", wanted):
        return wanted
    case_id = wanted.removeprefix(WORKFLOW_ID_PREFIX)
    query = case_query(extra=f"WorkflowId = {quoted(workflow_id_for(case_id))}")
    found = [e.id async for e in client.list_workflows(query, limit=1)]
    if found:
        return [case_id]
    archived = await pool.fetchval("SELECT 1 FROM case_archive WHERE case_id = $1 LIMIT 1", case_id)
    return [case_id] if archived else []
