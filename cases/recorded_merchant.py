"""What a case was sent with: its request and the merchant as the case loaded it.

A case records its merchant when it starts (the load_merchant call's result, a local-activity
marker or an activity result) and carries that snapshot into later rounds (CaseInput.merchant),
so later changes to the merchant's settings affect only new cases. Whatever shows a merchant
its case (the merchant API, the reply page) must list the identifiers the case was sent, which
come from this snapshot, not from today's directory entry (issue 16 #9).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter

from activities.contracts import LOAD_MERCHANT
from domain.merchant import Merchant
from domain.request import CancellationRequest
from workflows.inputs import CaseInput

_LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass(frozen=True)
class RecordedCase:
    request: CancellationRequest | None
    merchant: Merchant | None
    """None only for a run that has not loaded its merchant yet (or failed to)."""


async def recorded_case(handle: WorkflowHandle[Any, Any]) -> RecordedCase:
    """The latest run's request and merchant snapshot; reads the history only as far as the
    merchant (the first few events)."""
    converter = handle._client.data_converter  # noqa: SLF001 - public in practice
    return await _recorded(converter, handle.fetch_history_events())


async def recorded_case_of(
    converter: DataConverter, events: Iterable[HistoryEvent]
) -> RecordedCase:
    """The same, for a run's events already read (an archived run)."""

    async def each() -> AsyncIterator[HistoryEvent]:
        for event in events:
            yield event

    return await _recorded(converter, each())


async def _recorded(converter: DataConverter, events: AsyncIterator[HistoryEvent]) -> RecordedCase:
    request: CancellationRequest | None = None
    load_merchant_calls: set[int] = set()
    async for event in events:
        if event.HasField("workflow_execution_started_event_attributes"):
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            if not payloads:
                return RecordedCase(None, None)
            [case_input] = await converter.decode(payloads, [CaseInput])
            assert isinstance(case_input, CaseInput)
            request = case_input.request
            if case_input.merchant is not None:  # a later round carries the snapshot
                return RecordedCase(request, case_input.merchant)
        elif event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            if marker.marker_name != _LOCAL_ACTIVITY_MARKER or "result" not in marker.details:
                continue
            [data] = marker.details["data"].payloads
            if json.loads(data.data).get("activity_type") == LOAD_MERCHANT:
                return RecordedCase(request, await _merchant(converter, marker.details["result"]))
        elif event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == LOAD_MERCHANT:
                load_merchant_calls.add(event.event_id)
        elif event.HasField("activity_task_completed_event_attributes"):
            completed = event.activity_task_completed_event_attributes
            if completed.scheduled_event_id in load_merchant_calls:
                return RecordedCase(request, await _merchant(converter, completed.result))
    return RecordedCase(request, None)


async def _merchant(converter: DataConverter, payloads: Payloads) -> Merchant | None:
    [merchant] = await converter.decode(list(payloads.payloads), [Merchant])
    return merchant if isinstance(merchant, Merchant) else None
