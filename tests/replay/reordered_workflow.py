"""A careless change to the case workflow, for proving that the replay test catches one.

Its own module, free of side effects, because the workflow sandbox re-imports it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import contracts as act
    from workflows.cancellation import CaseInput


@workflow.defn(name="CancellationWorkflow")
class ReorderedCancellationWorkflow:
    """A careless change: notify the customer before emailing the merchant."""

    @workflow.run
    async def run(self, input: CaseInput) -> None:
        await workflow.execute_activity(
            act.NOTIFY_CUSTOMER,
            act.CustomerNotificationInput(
                case_id=input.request.case_id,
                round=1,
                customer_email=str(input.request.customer.email),
                locale=input.request.locale,
                merchant_display_name="x",
                subscription_name="x",
            ),
            start_to_close_timeout=timedelta(seconds=10),
        )
