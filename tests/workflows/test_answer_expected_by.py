"""Each merchant email says by when an answer is expected: the instant the chase's next step
is due, on the time-skipping server at exact instants (issue 18 #6); ops notifications carry
the merchant's zone for their times (issue 18 #5)."""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import case_state, start_case
from domain.case import CaseStatus
from domain.merchant import ResponsePolicy
from tests.eventually import eventually
from tests.helpers.harness import (
    RecordingActivities,
    advance_to,
    at,
    make_merchant,
    make_request,
    running_worker,
)


async def test_every_chasing_email_names_the_next_steps_instant(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    merchant = make_merchant(
        timezone="Pacific/Auckland",
        country="NZ",
        response_policy=ResponsePolicy(
            first_reminder_after=1, second_reminder_after=2, escalate_after=4
        ),
    )
    acts = RecordingActivities(merchants={"acme": merchant})
    async with running_worker(time_skipping_env.client, acts) as tq:
        # Thursday 23 December 2027, 10:00 in Auckland (as test_chasing walks it).
        await advance_to(time_skipping_env, at("2027-12-22T21:00:00"))
        request = make_request()
        await start_case(time_skipping_env.client, request, tq)
        await eventually(
            lambda: case_state(time_skipping_env.client, request.case_id),
            lambda s: s.status is CaseStatus.AWAITING,
        )
        [email] = [s.input for s in acts.of(act.SEND_MERCHANT_REQUEST)]
        assert isinstance(email, act.MerchantEmailInput)
        assert email.answer_expected_by == at("2027-12-23T21:00:00")  # reminder 1

        await advance_to(time_skipping_env, at("2027-12-30T21:01:00"))
        await eventually(lambda: len(acts.of(act.NOTIFY_OPS)) == 1)
        first, second = (s.input for s in acts.of(act.SEND_MERCHANT_REMINDER))
        assert isinstance(first, act.MerchantEmailInput)
        assert isinstance(second, act.MerchantEmailInput)
        # After the weekend and the observed Christmas holidays: reminder 2, then escalation.
        assert first.answer_expected_by == at("2027-12-28T21:00:00")
        assert second.answer_expected_by == at("2027-12-30T21:00:00")
        ops = acts.of(act.NOTIFY_OPS)[0].input
        assert isinstance(ops, act.OpsNotificationInput)
        assert ops.merchant_timezone == "Pacific/Auckland"
