"""RetentionWorkflow: erase closed cases a set number of days after they closed (issue 20).

Started by a Temporal Schedule like the archiver: batch by batch, find the archived cases
whose last run closed more than CANCELFLOW_ERASURE__AFTER_DAYS ago and erase them (closed
cases need no withdrawal). A long backlog continues as new after max_batches.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

from workflows.scheduled_jobs import SCHEDULED_JOB_RETRY

with workflow.unsafe.imports_passed_through():
    from activities import erasure_contracts as act

RETENTION_SCHEDULE_ID = "cancelflow-case-retention"


class RetentionInput(BaseModel):
    batch_size: int = Field(default=200, ge=1, le=1000)
    max_batches: int = Field(default=50, ge=1)
    erased_before: int = 0


class RetentionResult(BaseModel):
    erased: int
    already: int
    skipped: list[str]


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, input: RetentionInput) -> RetentionResult:
        erased = already = 0
        skipped: list[str] = []
        for _ in range(input.max_batches):
            due = await workflow.execute_activity(
                act.FIND_CASES_DUE_FOR_ERASURE,
                act.FindDueInput(limit=input.batch_size),
                result_type=list[str],
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=SCHEDULED_JOB_RETRY,
                summary="Find closed cases past their retention",
            )
            due = [case_id for case_id in due if case_id not in skipped]
            if not due:
                return RetentionResult(
                    erased=input.erased_before + erased, already=already, skipped=skipped
                )
            done = await workflow.execute_activity(
                act.ERASE_CLOSED_CASES,
                act.EraseClosedInput(case_ids=due),
                result_type=act.EraseClosedResult,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=SCHEDULED_JOB_RETRY,
                summary=f"Erase {len(due)} cases",
            )
            erased += done.erased
            already += done.already
            skipped += done.skipped
        workflow.continue_as_new(
            input.model_copy(update={"erased_before": input.erased_before + erased})
        )
