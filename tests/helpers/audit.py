"""The saved histories (tests/replay/histories) edited into older shapes, and their audit timeline."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadCodec

from ops.audit import Timeline, timeline_of_runs

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"


Event = dict[str, Any]


def _events_of(name: str, edit: Callable[[list[Event]], None]) -> list[WorkflowHistory]:
    runs = []
    for path in sorted(HISTORIES.glob(f"{name}.run*.json")):
        history = json.loads(path.read_text())
        edit(history["events"])
        runs.append(WorkflowHistory.from_json(f"case-{name}", json.dumps(history)))
    return runs


async def _timeline(runs: Sequence[WorkflowHistory], converter: Any = None) -> Timeline:
    return await timeline_of_runs(
        converter or pydantic_data_converter,
        "older",
        [run.events for run in runs],
        [f"run{i}" for i in range(1, len(runs) + 1)],
    )


class _KeyNotHeld(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        raise ValueError("no key for key id 'prod-2027'")
