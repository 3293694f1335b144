"""BulkAnswersWorkflow: one per accepted batch of answers (API call, upload, portal selection).

The rows live in PostgreSQL; the workflow drives activities that answer the pending ones,
each through its case's own `submit_answer` Update and validator, until none is left. A
crash of the worker mid-way loses nothing: the activity is retried and takes only the rows
still without a result. The history stays short whatever the batch's size.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities import bulk_contracts as act
    from domain.bulk_answers import BatchCounts

WORKFLOW_ID_PREFIX = "bulk-answers-"
ROWS_PER_ACTIVITY = 1000
# Backoff for rows whose case refused to take another Update in flight (RESOURCE_EXHAUSTED)
# or a Temporal that is away: the activity gives up on such a row after its attempts.
ROWS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
# Same as a case event's delivery: endpoints go down for a weekend.
EVENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=0,
)


def bulk_workflow_id(batch_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{batch_id}"


@workflow.defn
class BulkAnswersWorkflow:
    @workflow.run
    async def run(self, input: act.BulkAnswersInput) -> BatchCounts:
        while True:
            done: act.BulkRowsDone = await workflow.execute_activity(
                act.ANSWER_BULK_ROWS,
                act.BulkRowsInput(batch_id=input.batch_id, limit=ROWS_PER_ACTIVITY),
                result_type=act.BulkRowsDone,
                start_to_close_timeout=timedelta(minutes=30),
                # A killed worker's rows are taken up again within this.
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=ROWS_RETRY,
                summary=f"answer up to {ROWS_PER_ACTIVITY} rows",
            )
            if done.left == 0:
                break
        counts: BatchCounts = await workflow.execute_activity(
            act.FINISH_BULK_BATCH,
            input.batch_id,
            result_type=BatchCounts,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        workflow.set_current_details(
            f"{counts.recorded} recorded, {counts.already_recorded} already recorded, "
            f"{counts.refused} refused of {counts.total}"
        )
        await workflow.execute_activity(
            act.DELIVER_BATCH_EVENT,
            act.BatchEventInput(
                batch_id=input.batch_id, merchant_id=input.merchant_id, counts=counts
            ),
            result_type=list[str],
            start_to_close_timeout=timedelta(seconds=60),
            schedule_to_close_timeout=timedelta(days=5),
            retry_policy=EVENT_RETRY,
            summary="answers.batch_completed",
        )
        return counts
