"""The state of reading one case: what the handlers of each event share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from ops.audit.decoding import PayloadDecoder, Undecoded
from ops.audit.entry import TimelineEntry

SYSTEM = "cancelflow"


@dataclass
class ScheduledActivity:
    name: str
    input: Any  # the activity's own input model, Undecoded, or None for plumbing


@dataclass
class OpenUpdate:
    name: str
    entry: TimelineEntry


@dataclass
class Delivery:
    """A webhook delivery the case started, until its history says how it ended."""

    event_type: str
    event_id: str
    workflow_id: str
    sent: TimelineEntry


@dataclass
class CaseReading:
    """Carried across the case's runs."""

    decoder: PayloadDecoder
    entries: list[TimelineEntry] = field(default_factory=list)
    status: str | None = None
    first_run: bool = True

    def resumable(self) -> CaseReading:
        """A copy to read further runs from, this one left as it is. Taken between runs: the
        entries of a run that ended are never changed by later runs (updates and deliveries
        are matched within their run), so they are shared; the decoder starts afresh."""
        return CaseReading(
            PayloadDecoder(self.decoder.converter), list(self.entries), self.status, self.first_run
        )


@dataclass
class RunReading:
    """One run of the case; activities and updates are matched up within their run."""

    case: CaseReading
    round: int = 1
    scheduled: dict[int, ScheduledActivity] = field(default_factory=dict)
    updates: dict[str, OpenUpdate] = field(default_factory=dict)
    # By the event id of their START_CHILD_WORKFLOW_EXECUTION_INITIATED.
    deliveries: dict[int, Delivery] = field(default_factory=dict)

    @property
    def decoder(self) -> PayloadDecoder:
        return self.case.decoder

    def add(
        self, event: HistoryEvent, kind: str, actor: str, summary: str, **details: Any
    ) -> TimelineEntry:
        entry = TimelineEntry(
            event.event_time.ToDatetime(tzinfo=UTC),
            self.round,
            kind,
            actor,
            summary,
            {k: v for k, v in details.items() if v is not None},
        )
        self.case.entries.append(entry)
        return entry

    def add_unrecognised(
        self, event: HistoryEvent, what: str, value: Undecoded, actor: str = SYSTEM
    ) -> TimelineEntry:
        """The generic line for a payload this code cannot read: the story goes on."""
        kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
        return self.add(event, kind, actor, f"{what}: {value.problem}", unreadable=value.problem)
