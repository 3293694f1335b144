"""Histories of the cheaper case (patch 'cheaper-case-v1', issue 12) replay, and have its shape.

Captured with `tests.replay.capture_histories` writing into histories_cheaper_case/: the
merchant lookup is a local activity (a marker, no activity events) and no search-attribute
upsert repeats what the start or an earlier upsert already made visible.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import decode_search_attributes
from temporalio.worker import Replayer

from activities import contracts as act
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner

FOLDER = Path(__file__).resolve().parent / "histories_cheaper_case"
HISTORIES = sorted(FOLDER.glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-replay-{path.stem}", path.read_text())


def test_the_new_shape_is_saved_for_the_main_paths() -> None:
    names = {p.name for p in HISTORIES}
    assert {
        "has-now-been-cancelled.run1.json",
        "reminders-escalation-answer.run2.json",
        "binding-contract-round-two.run2.json",
        "withdrawn-before-request.run1.json",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[CancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )
    await replayer.replay_workflow(_history(path))


def test_the_happy_path_looks_up_the_merchant_locally_and_upserts_only_changes() -> None:
    history = _history(FOLDER / "has-now-been-cancelled.run1.json")
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert act.LOAD_MERCHANT not in scheduled
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    assert markers == ["core_patch", "core_local_activity"]
    upserts = [
        decode_search_attributes(
            e.upsert_workflow_search_attributes_event_attributes.search_attributes
        )
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    # The patch's own attribute, then answered, then closed: no upsert for "awaiting".
    assert [u.get("CaseStatus") for u in upserts] == [None, ["answered"], ["closed"]]
    assert set(upserts[2]) == {"CaseStatus"}
    started = history.events[0].workflow_execution_started_event_attributes
    assert decode_search_attributes(started.search_attributes)["CaseStatus"] == ["awaiting"]
