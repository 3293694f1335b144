"""Billable Temporal Cloud actions, counted from a workflow's history.

Temporal Cloud bills per action, so the count per case is what a cancellation service pays.
The rules follow Temporal's published definitions ("Temporal Cloud Actions",
docs.temporal.io/cloud/actions, and the pricing page's list of operations):

- a workflow started counts 1 (client start, Continue-As-New, child start); a run started by a
  Schedule adds the schedule's own 2;
- each activity attempt counts 1 (started or retried);
- all markers recorded in one workflow task count 1 together: local activities, and the SDK's
  patch markers, since Cloud counts the RecordMarker commands of a task as one action;
- each timer started counts 1;
- each UpsertWorkflowSearchAttributes counts 1, except one that only sets
  TemporalChangeVersion (exempt); attributes given at start are free;
- each signal received counts 1, each Update accepted counts 1;
- a child workflow initiated counts 2 (spawn and execution); its own history's activities and
  timers are counted from that history, without a second start.

Outside every history, so not counted here and added by the caller where they happen: queries,
activity heartbeats that reach the server, and rejected Updates (each billed 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

CHANGE_VERSION = "TemporalChangeVersion"
SCHEDULED_BY = "TemporalScheduledById"
SCHEDULE_START_ACTIONS = 2
CHILD_ACTIONS = 2

_E = EventType


@dataclass
class Actions:
    """Billable actions of one or more histories, by kind."""

    by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def __add__(self, other: Actions) -> Actions:
        return Actions(self.by_kind + other.by_kind)

    def line(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items()) if n)
        return f"{self.total} ({kinds})"


def _upsert_billed(event: HistoryEvent) -> bool:
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    return any(name != CHANGE_VERSION for name in fields.indexed_fields)


def count_actions(events: Sequence[HistoryEvent], *, child: bool = False) -> Actions:
    """Actions of one run. `child=True` for a child's own history, whose start its parent paid."""
    kinds: Counter[str] = Counter()
    marker_tasks: set[int] = set()
    for event in events:
        kind = event.event_type
        if kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            if not child:
                kinds["workflow started"] += 1
            attrs = event.workflow_execution_started_event_attributes
            if SCHEDULED_BY in attrs.search_attributes.indexed_fields:
                kinds["schedule"] += SCHEDULE_START_ACTIONS
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attempt = event.activity_task_started_event_attributes.attempt
            kinds["activity attempt"] += max(1, attempt)
        elif kind == _E.EVENT_TYPE_MARKER_RECORDED:
            task = event.marker_recorded_event_attributes.workflow_task_completed_event_id
            if task not in marker_tasks:
                marker_tasks.add(task)
                kinds["markers (one per task)"] += 1
        elif kind == _E.EVENT_TYPE_TIMER_STARTED:
            kinds["timer"] += 1
        elif kind == _E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            if _upsert_billed(event):
                kinds["search-attribute upsert"] += 1
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            kinds["signal"] += 1
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            kinds["update"] += 1
        elif kind == _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            kinds["child workflow"] += CHILD_ACTIONS
    return Actions(kinds)


def count_case(
    runs: Iterable[Sequence[HistoryEvent]], children: Iterable[Sequence[HistoryEvent]] = ()
) -> Actions:
    """Actions of a whole case: every run (Continue-As-New) and every child's own history."""
    total = Actions()
    for events in runs:
        total = total + count_actions(events)
    for events in children:
        total = total + count_actions(events, child=True)
    return total


# Temporal Cloud Pay-As-You-Go list price for actions (docs.temporal.io/cloud/pricing, "Action
# pricing"): USD per million actions in each monthly volume tier, first tier first.
PRICE_TIERS_USD_PER_MILLION: tuple[tuple[int, float], ...] = (
    (5_000_000, 50.0),
    (5_000_000, 45.0),
    (10_000_000, 40.0),
    (30_000_000, 35.0),
    (50_000_000, 30.0),
    (100_000_000, 25.0),
)


def monthly_cost_usd(actions_per_month: int) -> float:
    """Action cost of a month at list price, tier by tier (above 200M the price is negotiated;
    the last tier's price is used)."""
    left, cost = actions_per_month, 0.0
    for size, price in PRICE_TIERS_USD_PER_MILLION:
        taken = min(left, size)
        cost += taken * price / 1_000_000
        left -= taken
        if left == 0:
            return cost
    return cost + left * PRICE_TIERS_USD_PER_MILLION[-1][1] / 1_000_000
