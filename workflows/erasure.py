"""ErasureWorkflow: erase one case's personal data, on request (CLI, intake API).

One per case (id `erasure-<case id>`): an open case is withdrawn first, so the merchant is
told to disregard it, then its personal values are struck and its key destroyed. Started
again for an erased case it acknowledges the first erasure. Its own payloads (who asked, why)
are under the ring's key, not the case's: they outlive the case key.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities import erasure_contracts as act
    from domain.erasure import ERASURE_WORKFLOW_ID_PREFIX

_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=20,
    non_retryable_error_types=[act.UNKNOWN_CASE],
)


def erasure_workflow_id(case_id: str) -> str:
    return f"{ERASURE_WORKFLOW_ID_PREFIX}{case_id}"


@workflow.defn
class ErasureWorkflow:
    @workflow.run
    async def run(self, input: act.EraseCaseInput) -> act.ErasureReceipt:
        withdrawn = await workflow.execute_activity(
            act.WITHDRAW_FOR_ERASURE,
            input,
            result_type=bool,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=_RETRY,
            summary="Withdraw the case if it is open",
        )
        receipt: act.ErasureReceipt = await workflow.execute_activity(
            act.ERASE_CASE,
            input.model_copy(update={"withdrawn": withdrawn or input.withdrawn}),
            result_type=act.ErasureReceipt,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=_RETRY,
            summary="Erase the case's personal data",
        )
        return receipt
