"""A case recorded before the hidden-character rule still replays and reads.

Its history may hold a text-direction or invisible character in a name; the rule refuses
such text at the edges and on the models, and decoding the history with it would fail the
case's next workflow task. The product's converter reads recorded text as recorded.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from workers.recorded_payloads import recorded_data_converter
from workflows.cancellation import CancellationWorkflow
from workflows.inputs import CaseInput
from workflows.sandbox import workflow_runner

SAVED = Path(__file__).resolve().parent / "histories" / "has-now-been-cancelled.run1.json"
RIGHT_TO_LEFT_OVERRIDE = "\u202e"
ZERO_WIDTH_SPACE = "\u200b"


def _with_hidden_characters() -> WorkflowHistory:
    history: dict[str, Any] = json.loads(SAVED.read_text())
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    case_input = json.loads(base64.b64decode(payload["data"]))
    case_input["request"]["subscription"]["name"] = f"Acme {RIGHT_TO_LEFT_OVERRIDE}Premium"
    case_input["request"]["customer"]["first_name"] = f"An{ZERO_WIDTH_SPACE}na"
    payload["data"] = base64.b64encode(json.dumps(case_input).encode()).decode()
    return WorkflowHistory.from_json("replay-hidden-characters", json.dumps(history))


async def _replay(history: WorkflowHistory, converter: DataConverter) -> None:
    replayer = Replayer(
        workflows=[CancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=converter,
    )
    await replayer.replay_workflow(history)


async def test_a_history_with_hidden_characters_replays_with_the_products_converter() -> None:
    await _replay(_with_hidden_characters(), recorded_data_converter)


async def test_the_same_history_fails_a_strict_converter() -> None:
    """Shows the characters meet the rule: without the lenient reading the case is stuck."""
    with pytest.raises(RuntimeError, match="text-direction characters: found U\\+202E"):
        await _replay(_with_hidden_characters(), pydantic_data_converter)


async def test_recorded_text_is_read_as_recorded_and_new_text_is_still_refused() -> None:
    started = _with_hidden_characters().events[0].workflow_execution_started_event_attributes
    converter = recorded_data_converter.payload_converter
    [case_input] = converter.from_payloads(list(started.input.payloads), [CaseInput])
    assert case_input.request.subscription.name == f"Acme {RIGHT_TO_LEFT_OVERRIDE}Premium"
    with pytest.raises(ValueError, match="text-direction"):
        CaseInput.model_validate(case_input.model_dump())
