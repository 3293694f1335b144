"""Every saved history replays against the current workflow code.

A change that would break cases already running (a reordered activity, a removed timer,
an unguarded new step) fails here. See README, "Changing workflow code safely".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.replay.reordered_workflow import ReorderedCancellationWorkflow
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))
PATHS_COVERED = {
    "withdrawn-before-request",
    "answered-before-request",
    "has-now-been-cancelled",
    "was-already-cancelled",
    "binding-contract-round-two",
    "no-subscription-unresolved",
    "no-subscription-corrected",
    "other-reason",
    "reminders-escalation-answer",
    "email-reply-triage",
    "snooze-then-answer",
    "withdrawal",
    "webhook-merchant",
    "resend-then-answer",
}


def test_every_path_has_a_saved_history() -> None:
    assert {path.name.split(".run")[0] for path in HISTORIES} == PATHS_COVERED
    # Rounds and long waits continue as new: their later runs are saved too.
    assert any(p.name == "binding-contract-round-two.run2.json" for p in HISTORIES)
    assert any(p.name == "reminders-escalation-answer.run2.json" for p in HISTORIES)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    raw = path.read_text()
    workflow_id = f"case-replay-{path.name.split('.run')[0]}"
    replayer = Replayer(
        workflows=[CancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )
    # Raises on any replay failure (raise_on_replay_failure defaults to True).
    await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, raw))


async def test_an_incompatible_change_fails_replay() -> None:
    path = HISTORIES[0]
    replayer = Replayer(
        workflows=[ReorderedCancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(WorkflowHistory.from_json("case-replay", path.read_text()))


def test_the_webhook_merchant_history_covers_the_delivery_children() -> None:
    """Replay of this history checks the webhooks-v1 path: the case starts one delivery
    child per event and goes on without waiting for any of them."""
    events = json.loads((HISTORIES[0].parent / "webhook-merchant.run1.json").read_text())["events"]
    started = [
        e["startChildWorkflowExecutionInitiatedEventAttributes"]["workflowId"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    ]
    assert started == [
        f"webhook-evt_replay-webhook-merchant_{kind}_1_1"
        for kind in ("requested", "reminder", "answer_recorded")
    ]


def test_the_resend_history_sends_the_request_again_on_both_channels() -> None:
    """Replay of this history checks the Update resend_request: a second request email under
    its own outbox kind and `cancellation.requested` again under the next event number."""
    raw = (HISTORIES[0].parent / "resend-then-answer.run1.json").read_text()
    events = json.loads(raw)["events"]
    started = [
        e["startChildWorkflowExecutionInitiatedEventAttributes"]["workflowId"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    ]
    case = "replay-resend-then-answer"
    assert started[:2] == [
        f"webhook-evt_{case}_requested_1_1",
        f"webhook-evt_{case}_requested_1_2",
    ]
    requests = [
        e
        for e in events
        if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
        and e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        == "send_merchant_request"
    ]
    assert len(requests) == 2
    assert any(
        e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
        and e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["name"]
        == "resend_request"
        for e in events
    )
