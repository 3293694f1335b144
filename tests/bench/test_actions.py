"""Billable actions counted from saved case histories, against counts made by hand from their
event lists (tests/replay/histories), and the list price against the pricing page's example."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from bench.actions import count_actions, count_case, monthly_cost_usd

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


def events(name: str) -> list:  # type: ignore[type-arg]
    path = HISTORIES / name
    return list(WorkflowHistory.from_json(name, path.read_text()).events)


def test_happy_path_of_the_older_shape() -> None:
    # start, load_merchant, request email, customer email, three upserts (awaiting, answered,
    # closed), the reminder timer and the answering Update.
    actions = count_actions(events("has-now-been-cancelled.run1.json"))
    assert actions.by_kind == {
        "workflow started": 1,
        "activity attempt": 3,
        "search-attribute upsert": 3,
        "timer": 1,
        "update": 1,
    }
    assert actions.total == 9


def test_webhook_merchant_markers_once_per_task_and_change_version_upserts_exempt() -> None:
    # Three markers in the first workflow task (two patches, the local merchant lookup) are one
    # action; the two TemporalChangeVersion upserts are free; three deliveries as children.
    actions = count_actions(events("webhook-merchant.run1.json"))
    assert actions.by_kind == {
        "workflow started": 1,
        "markers (one per task)": 1,
        "activity attempt": 3,
        "search-attribute upsert": 3,
        "timer": 2,
        "update": 1,
        "child workflow": 6,
    }
    assert actions.total == 17


def test_a_case_over_continue_as_new_counts_every_run() -> None:
    runs = [events(f"reminders-escalation-answer.run{n}.json") for n in (1, 2, 3)]
    first = count_actions(runs[0])
    # Run 1: start, lookup, request, three reminders, the ops email, five upserts, four timers.
    assert first.by_kind == {
        "workflow started": 1,
        "activity attempt": 6,
        "search-attribute upsert": 5,
        "timer": 4,
    }
    whole = count_case(runs)
    assert whole.total == sum(count_actions(run).total for run in runs)
    assert whole.by_kind["workflow started"] == 3


def test_a_child_history_does_not_pay_its_start_twice() -> None:
    run = events("has-now-been-cancelled.run1.json")
    assert count_actions(run, child=True).total == count_actions(run).total - 1


@pytest.mark.parametrize(
    ("actions", "usd"),
    [(11_250_000, 525.0), (1_000_000, 50.0), (0, 0.0)],  # the first: the pricing page's example
)
def test_list_price_by_tier(actions: int, usd: float) -> None:
    assert monthly_cost_usd(actions) == pytest.approx(usd)
