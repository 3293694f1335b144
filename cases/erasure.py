"""Erasing a case's personal data, for every caller (CLI, intake API): one ErasureWorkflow per
case does it; asking again for an erased case is acknowledged with the first erasure."""

from __future__ import annotations

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError

from activities import erasure_contracts as act
from cases.client import CaseNotFound
from domain.erasure import ErasureReceipt, ErasureRequest, ErasureTrigger
from workflows.erasure import ErasureWorkflow, erasure_workflow_id


async def erase_case(
    client: Client, case_id: str, request: ErasureRequest, task_queue: str
) -> ErasureReceipt:
    """Withdraw the case if it is open, then erase it; raises CaseNotFound for no such case."""
    try:
        return await client.execute_workflow(
            ErasureWorkflow.run,
            act.EraseCaseInput(
                case_id=case_id,
                erased_by=request.requested_by,
                reason=request.reason,
                trigger=ErasureTrigger.REQUEST,
            ),
            id=erasure_workflow_id(case_id),
            task_queue=task_queue,
            # A second request while the first runs joins it; one after it ends starts a run
            # that finds the erasure done and acknowledges it.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowFailureError as err:
        cause: BaseException | None = err.cause
        while cause is not None and not isinstance(cause, ApplicationError):
            cause = cause.__cause__
        if isinstance(cause, ApplicationError) and cause.type == act.UNKNOWN_CASE:
            raise CaseNotFound(case_id) from err
        raise
