"""OpsDigestWorkflow: the daily sweep of open cases, started by a Temporal Schedule."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities import contracts as act
    from domain.digest import DigestReport, OpenCase, build_digest

DIGEST_SCHEDULE_ID = "cancelflow-ops-digest"


class OpsDigestInput(BaseModel):
    case_workflow_type: str = "CancellationWorkflow"


@workflow.defn
class OpsDigestWorkflow:
    @workflow.run
    async def run(self, input: OpsDigestInput) -> DigestReport:
        cases = await workflow.execute_activity(
            act.COLLECT_OPEN_CASES,
            act.CollectOpenCasesInput(workflow_type=input.case_workflow_type),
            result_type=list[OpenCase],
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=10),
            summary="Read open cases from Temporal visibility",
        )
        now = workflow.now()
        report = build_digest(cases, now)
        await workflow.execute_activity(
            act.SEND_OPS_DIGEST,
            act.OpsDigestInput(report=report, digest_date=now.date()),
            result_type=act.EmailSent,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=5),
                maximum_interval=timedelta(minutes=10),
                non_retryable_error_types=act.NON_RETRYABLE_ERROR_TYPES,
            ),
            summary="Email the digest to ops",
        )
        return report
