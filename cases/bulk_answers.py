"""Answers in bulk, as callers reach them: start a batch's job, wait for it, and answer one
row through the case's own Update. Every answer still goes through cases.client.submit_answer,
the one door to a case."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from cases.client import AnswerRejected, CaseNotFound, submit_answer
from domain.answers import MerchantAnswer
from domain.bulk_answers import (
    BatchCounts,
    RowProblem,
    RowResult,
    not_found_problem,
    rejected_problem,
)
from workflows.bulk_answers import BulkAnswersWorkflow, bulk_workflow_id

__all__ = ["answer_in_bulk", "start_bulk_answers", "wait_for_bulk_answers"]


async def answer_in_bulk(
    client: Client, case_id: str, answer: MerchantAnswer, merchant_id: str
) -> tuple[RowResult, RowProblem | None]:
    """One row: recorded, already recorded (the same answer was there) or refused with the
    problem a single API call would have answered. Raises when the case cannot be reached.

    A row whose own answer is already in the case (recorded by an attempt that crashed
    before its result was written) counts as recorded, once: the reference names the row.
    """
    try:
        receipt = await submit_answer(client, case_id, answer, merchant_id)
    except CaseNotFound:
        return RowResult.REFUSED, not_found_problem(case_id)
    except AnswerRejected as rejection:
        return RowResult.REFUSED, rejected_problem(str(rejection))
    if receipt.recorded or (
        answer.reference is not None and receipt.answer.reference == answer.reference
    ):
        return RowResult.RECORDED, None
    return RowResult.ALREADY_RECORDED, None


async def start_bulk_answers(
    client: Client, batch_id: str, merchant_id: str, task_queue: str
) -> None:
    """Start the batch's job; starting it again (a retried call, a portal that crashed between
    storing the batch and starting it) finds the one already running or done."""
    from activities.bulk_contracts import BulkAnswersInput

    try:
        await client.start_workflow(
            BulkAnswersWorkflow.run,
            BulkAnswersInput(batch_id=batch_id, merchant_id=merchant_id),
            id=bulk_workflow_id(batch_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Answers in bulk {batch_id} from {merchant_id}",
        )
    except WorkflowAlreadyStartedError:
        pass


async def wait_for_bulk_answers(
    client: Client, batch_id: str, within: timedelta
) -> BatchCounts | None:
    """The batch's counts once its job ended, or None if it is still running after `within`."""
    handle = client.get_workflow_handle_for(BulkAnswersWorkflow.run, bulk_workflow_id(batch_id))
    try:
        return await asyncio.wait_for(handle.result(), within.total_seconds())
    except TimeoutError:
        return None
    except WorkflowFailureError:
        return None
