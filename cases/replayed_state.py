"""The `state` query's answer for a closed run that no worker can be asked about any more.

Temporal answers a query on a closed case by replaying its history on a worker; for a run
only the archive still holds, this replays it locally the same way and reads the state the
workflow held when the run ended.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from domain.case import CaseState
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner

# Filled from inside the sandbox (this module is not re-imported there: the interceptor
# class is handed in), keyed by workflow id; JSON so no sandboxed class escapes.
_CAPTURED: dict[str, dict[str, Any]] = {}


class _CaptureState(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        try:
            return await super().execute_workflow(input)
        finally:
            instance = workflow.instance()
            if hasattr(instance, "state"):
                state = instance.state()
                _CAPTURED[workflow.info().workflow_id] = state.model_dump(mode="json")


class _Capture(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _CaptureState


async def state_after_replay(
    converter: DataConverter, events: list[HistoryEvent]
) -> CaseState | None:
    """The run's final state by replaying it with the current workflow code (None if the
    code can no longer replay it)."""
    workflow_id = f"replayed-state-{id(events)}"
    replayer = Replayer(
        workflows=[CancellationWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=converter,
        interceptors=[_Capture()],
    )
    result = await replayer.replay_workflow(
        WorkflowHistory(workflow_id, events), raise_on_replay_failure=False
    )
    captured = _CAPTURED.pop(workflow_id, None)
    if captured is None or result.replay_failure is not None:
        return None
    return CaseState.model_validate(captured)
