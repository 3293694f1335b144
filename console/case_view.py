"""One case as the console shows it: its state, its audit timeline (the entries of `cases
audit`), its emails sent and replies received, its webhook deliveries. Read only."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import asyncpg
from temporalio.client import Client
from temporalio.converter import DataConverter

from cases.client import CaseHistoryNotFound, CaseNotFound, HistorySource, settled_state
from cases.history_source import CaseHistories
from cases.queries import case_query, quoted
from console.inbox import SUGGESTION_COLUMN, ReplySummary, parse_suggestion
from domain.case import CaseState
from domain.reply_token import case_reference
from inbound.store import text_of
from ops.audit import CaseReading, Timeline, TimelineEntry, read_runs, start_reading
from ops.audit.erased import erased_timeline
from storage.erasures import ErasureRecord, ErasureStore
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


@dataclass(frozen=True)
class _Kept:
    shape: tuple[object, ...]
    timeline: Timeline
    ended: tuple[str, ...]
    """The runs read that had ended, oldest first."""
    after_ended: CaseReading
    """The reading after them, to go on from."""
    read_at: float


class TimelineCache:
    """Timelines already read, by case, with the shape of the history they were read from.

    A history only grows: the same runs with the same number of events are the same events,
    so a case page opened again decodes nothing, and after an act (new events in the running
    run, or a new run) it decodes only the runs that had not ended when it was last read.

    It holds decoded values, personal ones among them: an erased case is forgotten here when
    its page is next read (`read_case` asks the erasure records first, in every process), and
    nothing is kept longer than `ttl` seconds after it was read, as long as this process may
    keep a case's key (workers/case_key_cache.py), so an erasure elsewhere of a case no one
    opens again leaves nothing decoded here either.
    """

    def __init__(self, size: int = 256, ttl: float = 300.0) -> None:
        self._size = size
        self._ttl = ttl
        self._entries: OrderedDict[str, _Kept] = OrderedDict()

    async def timeline(
        self, converter: DataConverter, case_id: str, runs: CaseHistories
    ) -> Timeline:
        now = time.monotonic()
        for old in [c for c, kept in self._entries.items() if kept.read_at + self._ttl <= now]:
            del self._entries[old]
        events = runs.events
        shape = (*runs.run_ids, sum(len(e) for e in events))
        kept = self._entries.get(case_id)
        if kept is not None and kept.shape == shape:
            self._entries.move_to_end(case_id)
            return kept.timeline
        ended = runs.closed
        ended_ids = tuple(runs.run_ids[:ended])
        if kept is not None and ended_ids[: len(kept.ended)] == kept.ended:
            reading, done = kept.after_ended.resumable(), len(kept.ended)
        else:
            reading, done = start_reading(converter), 0
        await read_runs(reading, events[done:ended])
        after_ended = reading.resumable()
        await read_runs(reading, events[ended:])
        read = Timeline(
            case_id=case_id,
            workflow_id=workflow_id_for(case_id),
            runs=list(runs.run_ids),
            entries=reading.entries,
        )
        if self._size > 0:
            self._entries[case_id] = _Kept(shape, read, ended_ids, after_ended, now)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return read

    def forget(self, case_id: str) -> None:
        self._entries.pop(case_id, None)

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
    erased = await ErasureStore(pool).get(case_id)
    if erased is not None:
        # What `cases audit` shows of it: the timeline kept at erasure, never the history.
        if timelines is not None:
            timelines.forget(case_id)
        return _erased_view(case_id, erased, await stored_replies(pool, case_id))

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
        cache = timelines or TimelineCache(size=0)
        return await cache.timeline(client.data_converter, case_id, runs)

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


def _erased_view(case_id: str, record: ErasureRecord, replies: list[StoredReplyView]) -> CaseView:
    state = record.remains.get("state")
    if state is None:
        raise CaseNotFound(case_id)
    timeline = erased_timeline(
        record.remains, record.erased_at, record.erased_by, record.reason, record.trigger.value
    )
    return CaseView(
        case_id=case_id,
        workflow_id=workflow_id_for(case_id),
        reference=case_reference(case_id),
        state=CaseState.model_validate(state),
        timeline=timeline,
        replies=replies,
    )


async def stored_replies(pool: asyncpg.Pool, case_id: str) -> list[StoredReplyView]:
    """The case's replies with their texts and suggestions, in one query."""
    rows = await pool.fetch(
        "SELECT message_id, sender, subject, received_at, sender_verified, unverified_reason, "
        f"signal_status, raw, {SUGGESTION_COLUMN}::text AS suggestion "
        "FROM inbound_mail WHERE case_id = $1 ORDER BY received_at, id",
        case_id,
    )
    views = []
    for row in rows:
        summary = ReplySummary(
            message_id=row["message_id"],
            sender=row["sender"],
            subject=row["subject"],
            received_at=row["received_at"],
            sender_verified=row["sender_verified"],
            unverified_reason=row["unverified_reason"],
            suggestion=parse_suggestion(row["suggestion"]),
        )
        text = _text(bytes(row["raw"] or b""))
        views.append(StoredReplyView(summary, row["signal_status"], text))
    return views


def _text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return text_of(message)


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
