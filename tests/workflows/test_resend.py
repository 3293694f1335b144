"""Ops send the merchant request again (the Update resend_request): the same identifiers
under a new outbox row and Message-ID, the chase on its old dates, refusals in words."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import (
    CaseActionRejected,
    case_handle,
    case_state,
    resend_request,
    withdraw_case,
)
from domain.actions import ResendRequest, WithdrawalRequest
from domain.answers import BindingContract, HasNowBeenCancelled
from domain.case import CaseStatus
from domain.merchant import ResponsePolicy
from tests.eventually import eventually
from tests.helpers.cases import (
    answer_into_follow_up,
    answer_now,
    awaiting_case,
    start_awaiting,
)
from tests.helpers.harness import (
    MINUTE,
    RecordingActivities,
    advance_to,
    at,
    make_merchant,
    on,
    running_worker,
)
from workflows.cancellation import CancellationWorkflow

BY_EVA = ResendRequest(requested_by="ops:eva@example.com", note="merchant never got it")
POLICY = ResponsePolicy(first_reminder_after=2, second_reminder_after=4, escalate_after=6)


START = at("2027-03-01T08:00:00")
"""Monday 1 March 2027, 09:00 in Stockholm: reminder 1 is due Wednesday 09:00."""


@pytest.fixture
def acts() -> RecordingActivities:
    return RecordingActivities(merchants={"acme": make_merchant(response_policy=POLICY)})


async def test_a_resend_sends_the_request_again_and_the_chase_keeps_its_dates(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, START) as case_id:
        await advance_to(time_skipping_env, at("2027-03-02T10:00:00"))
        state = await resend_request(client, case_id, BY_EVA)
        assert state.requests_resent == 1
        first, again = (s.input for s in acts.of(act.SEND_MERCHANT_REQUEST))
        assert isinstance(first, act.MerchantEmailInput)
        assert isinstance(again, act.MerchantEmailInput)
        assert (first.resend_number, again.resend_number) == (None, 1)
        assert (first.outbox_kind, again.outbox_kind) == ("request", "request-resend-1")
        assert again.identifiers == first.identifiers
        # The answer is still expected before the step that was next: reminder 1.
        assert again.answer_expected_by == first.answer_expected_by == at("2027-03-03T08:00:00")
        assert [e.kind for e in state.emails] == ["request", "request-resend-1"]
        assert state.status is CaseStatus.AWAITING
        assert state.next_action_at == at("2027-03-03T08:00:00")

        # A second resend is its own email; reminder 1 still comes on its day, not later.
        assert (await resend_request(client, case_id, BY_EVA)).requests_resent == 2
        await advance_to(time_skipping_env, at("2027-03-03T08:00:00") - MINUTE)
        assert not acts.of(act.SEND_MERCHANT_REMINDER)
        await advance_to(time_skipping_env, at("2027-03-03T08:00:00") + MINUTE)
        await eventually(lambda: len(acts.of(act.SEND_MERCHANT_REMINDER)) == 1)
        reminded = await case_state(client, case_id)
        assert reminded.reminders_sent == 1 and reminded.requests_resent == 2
        assert reminded.next_action_at == at("2027-03-05T08:00:00")  # reminder 2, as before


async def test_an_answered_case_refuses_a_resend_with_its_reason(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, START) as case_id:
        await answer_into_follow_up(
            time_skipping_env, case_id, BindingContract, contract_ends_on=on("2027-09-30")
        )
        # Still running (following up), so its validator says no.
        with pytest.raises(CaseActionRejected, match="the merchant already answered"):
            await resend_request(client, case_id, BY_EVA)
        assert len(acts.of(act.SEND_MERCHANT_REQUEST)) == 1


async def test_a_closed_or_withdrawn_case_refuses_a_resend(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with running_worker(client, acts) as tq:
        closed = await start_awaiting(time_skipping_env, tq, START)
        await answer_now(
            time_skipping_env, closed, HasNowBeenCancelled, access_until=on("2027-04-01")
        )
        await case_handle(client, closed).result()
        with pytest.raises(CaseActionRejected, match="the case is closed; there is no request"):
            await resend_request(client, closed, BY_EVA)

        withdrawn = await start_awaiting(time_skipping_env, tq, START)
        await withdraw_case(client, withdrawn, WithdrawalRequest(requested_by="customer"))
        await case_handle(client, withdrawn).result()
        with pytest.raises(CaseActionRejected, match="the case is withdrawn"):
            await resend_request(client, withdrawn, BY_EVA)
        assert len(acts.of(act.SEND_MERCHANT_REQUEST)) == 2  # one per case, none again


async def test_a_relay_that_refuses_refuses_the_resend_and_the_case_goes_on(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, START) as case_id:
        acts.fail_email_with = act.ADDRESS_REJECTED
        with pytest.raises(CaseActionRejected, match="could not be sent again: rejected"):
            await resend_request(client, case_id, BY_EVA)
        state = await case_handle(client, case_id).query(CancellationWorkflow.state)
        assert state.status is CaseStatus.AWAITING and state.requests_resent == 0
        acts.fail_email_with = None
        # The next try takes the same number: one outbox row per resend that went out.
        assert (await resend_request(client, case_id, BY_EVA)).requests_resent == 1
