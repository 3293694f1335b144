"""Reminders, escalation, snooze, triage and withdrawal at exact instants (follow-up rounds:
test_follow_up_rounds.py).

Each test moves its own time-skipping server to a chosen instant, starts a case there and
walks the clock across each deadline: one minute before nothing has happened, one minute
after it has.
"""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import (
    CaseActionRejected,
    case_handle,
    case_state,
    snooze_case,
    start_case,
    withdraw_case,
)
from domain.actions import EmailReplyNotice, SnoozeRequest, WithdrawalRequest
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.merchant import ResponsePolicy
from tests.eventually import eventually
from tests.helpers.cases import (
    MONDAY,
    answer_now,
    awaiting_case,
    start_awaiting,
    step_over,
    until_status,
)
from tests.helpers.harness import (
    RecordingActivities,
    advance_to,
    at,
    make_merchant,
    make_request,
    on,
    running_worker,
)
from workflows import search_attributes as sa
from workflows.cancellation import CancellationWorkflow


@pytest.fixture
def acts() -> RecordingActivities:
    return RecordingActivities(merchants={"acme": make_merchant()})


async def test_reminders_and_escalation_skip_weekends_and_holidays_far_from_utc(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # Auckland is UTC+13 in December; New Zealand observes Christmas, Boxing Day and the
    # New Year holidays on the following Mondays and Tuesdays when they fall on a weekend.
    merchant = make_merchant(
        timezone="Pacific/Auckland",
        country="NZ",
        response_policy=ResponsePolicy(
            first_reminder_after=1,
            second_reminder_after=2,
            escalate_after=4,
            repeat_reminder_every=2,
        ),
    )
    acts = RecordingActivities(merchants={"acme": merchant})
    client = time_skipping_env.client
    # Thursday 23 December 2027, 10:00 in Auckland.
    async with awaiting_case(time_skipping_env, acts, at("2027-12-22T21:00:00")) as case_id:
        state = await case_state(client, case_id)
        assert state.round_started_at == at("2027-12-22T21:00:00")
        assert state.next_action_at == at("2027-12-23T21:00:00")

        # Reminder 1: Friday 24 Dec, 10:00 local.
        await step_over(
            time_skipping_env, acts, act.SEND_MERCHANT_REMINDER, at("2027-12-23T21:00:00"), 1
        )
        assert (await case_state(client, case_id)).status is CaseStatus.REMINDED
        # Reminder 2: one business day later is Wednesday 29 Dec (weekend, then the
        # observed Christmas and Boxing Day holidays on Monday 27 and Tuesday 28).
        await step_over(
            time_skipping_env, acts, act.SEND_MERCHANT_REMINDER, at("2027-12-28T21:00:00"), 2
        )
        # Escalation: two business days later, Friday 31 Dec.
        await step_over(time_skipping_env, acts, act.NOTIFY_OPS, at("2027-12-30T21:00:00"), 1)
        escalated = await case_state(client, case_id)
        assert escalated.status is CaseStatus.ESCALATED and escalated.escalated
        ops = acts.of(act.NOTIFY_OPS)[0].input
        assert isinstance(ops, act.OpsNotificationInput)
        assert ops.kind is act.OpsNotificationKind.ESCALATION
        assert ops.business_days_waited == 4  # 24, 29, 30, 31 December
        desc = await case_handle(client, case_id).describe()
        assert desc.typed_search_attributes.get(sa.ESCALATED) is True
        assert desc.typed_search_attributes.get(sa.CASE_STATUS) == "escalated"
        # Reminder 3 two business days on: 1-4 January are weekend and holidays: Thursday 6th.
        await step_over(
            time_skipping_env, acts, act.SEND_MERCHANT_REMINDER, at("2028-01-05T21:00:00"), 3
        )
        reminders = [s.input for s in acts.of(act.SEND_MERCHANT_REMINDER)]
        assert [r.reminder_number for r in reminders] == [1, 2, 3]  # type: ignore[attr-defined]
        assert {r.outbox_kind for r in reminders} == {"reminder-1", "reminder-2", "reminder-3"}  # type: ignore[attr-defined]

        # An answer after escalation is taken like any other, and then nothing more fires.
        await answer_now(
            time_skipping_env, case_id, HasNowBeenCancelled, access_until=on("2028-02-01")
        )
        await case_handle(client, case_id).result()
        # Closed: the workflow has ended, so no later timer of it can fire.
        await advance_to(time_skipping_env, at("2028-03-01T00:00:00"))
        assert len(acts.of(act.SEND_MERCHANT_REMINDER)) == 3
        assert len(acts.of(act.NOTIFY_OPS)) == 1


async def test_snooze_moves_the_next_deadline(time_skipping_env: WorkflowEnvironment) -> None:
    merchant = make_merchant(
        response_policy=ResponsePolicy(
            first_reminder_after=2, second_reminder_after=4, escalate_after=6
        )
    )
    acts = RecordingActivities(merchants={"acme": merchant})
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, MONDAY) as case_id:
        assert (await case_state(client, case_id)).next_action_at == at("2027-03-03T08:00:00")
        handle = case_handle(client, case_id)
        state = await handle.execute_update(
            CancellationWorkflow.snooze,
            SnoozeRequest(
                until=on("2027-03-10"), reason="merchant on holiday", requested_by="ops Eva"
            ),
        )
        assert state.snoozed_until == at("2027-03-10T08:00:00")
        await eventually(
            lambda: case_state(client, case_id),
            lambda s: s.next_action_at == at("2027-03-10T08:00:00"),
        )
        # Nothing on the original date; reminder 1 at 09:00 on the snooze date.
        await step_over(
            time_skipping_env, acts, act.SEND_MERCHANT_REMINDER, at("2027-03-10T08:00:00"), 1
        )
        # Reminder 2 keeps its spacing of two business days from there.
        await step_over(
            time_skipping_env, acts, act.SEND_MERCHANT_REMINDER, at("2027-03-12T08:00:00"), 2
        )


async def test_an_email_reply_pauses_the_clock_until_ops_answer(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, MONDAY) as case_id:
        handle = case_handle(client, case_id)
        await handle.signal(
            CancellationWorkflow.email_reply_received,
            EmailReplyNotice(
                message_id="<reply-1@acme.example>",
                sender="support@acme.example",
                subject="Re: cancellation",
                received_at=at("2027-03-01T10:00:00"),
            ),
        )
        await until_status(client, case_id, CaseStatus.NEEDS_TRIAGE)
        await advance_to(time_skipping_env, at("2027-03-20T00:00:00"))
        # The query sees every event until now: the case still waits for triage, no timer set.
        triage = await case_state(client, case_id)
        assert (triage.status, triage.next_action_at) == (CaseStatus.NEEDS_TRIAGE, None)
        assert acts.of(act.SEND_MERCHANT_REMINDER) == []
        desc = await handle.describe()
        assert desc.typed_search_attributes.get(sa.CASE_STATUS) == "needs_triage"

        receipt = await answer_now(
            time_skipping_env,
            case_id,
            HasNowBeenCancelled,
            access_until=on("2027-04-01"),
            channel=Channel.EMAIL,
            responded_by="ops Eva",
            reference="<reply-1@acme.example>",
        )
        assert receipt.recorded
        final = await handle.result()
        assert final.status is CaseStatus.CLOSED
        assert final.answer is not None and final.answer.reference == "<reply-1@acme.example>"


async def test_answer_and_withdrawal_together_exactly_one_wins(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with running_worker(client, acts, sticky=False) as tq:
        case_id = await start_awaiting(time_skipping_env, tq, MONDAY)
    # With no worker running both arrive before the workflow sees either.
    handle = case_handle(client, case_id)
    now = await time_skipping_env.get_current_time()
    from workflows.cancellation import SubmitAnswer

    await handle.signal(CancellationWorkflow.withdraw, WithdrawalRequest(reason="changed my mind"))
    await handle.signal(
        CancellationWorkflow.merchant_response,
        SubmitAnswer(
            answer=HasNowBeenCancelled(
                access_until=on("2027-04-01"),
                answered_at=now,
                channel=Channel.PORTAL,
                responded_by="Acme",
            )
        ),
    )
    async with running_worker(client, acts, task_queue=tq, sticky=False):
        final = await handle.result()
    assert final.status is CaseStatus.WITHDRAWN
    assert final.answer is None
    assert any("withdrew" in r for r in final.rejected_answers)
    [withdrawal] = acts.of(act.SEND_MERCHANT_WITHDRAWAL)
    [told] = acts.of(act.NOTIFY_CUSTOMER)
    assert told.input.kind is act.CustomerNotificationKind.WITHDRAWN  # type: ignore[attr-defined]
    assert withdrawal.input.kind is act.MerchantEmailKind.WITHDRAWAL  # type: ignore[attr-defined]


async def test_a_year_of_reminders_keeps_every_history_small(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # A reminder every business day after escalation: about 250 steps in a year.
    merchant = make_merchant(
        response_policy=ResponsePolicy(
            first_reminder_after=1,
            second_reminder_after=2,
            escalate_after=3,
            repeat_reminder_every=1,
        )
    )
    acts = RecordingActivities(merchants={"acme": merchant})
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, at("2027-01-04T08:00:00")) as case_id:
        await advance_to(time_skipping_env, at("2028-01-04T09:00:00"))
        # The last reminder may still be on its way: wait until the case has counted it.
        state = await eventually(
            lambda: case_state(client, case_id),
            lambda s: s.reminders_sent == len(acts.of(act.SEND_MERCHANT_REMINDER)),
            what="the case to count every reminder sent",
        )
        reminders = len(acts.of(act.SEND_MERCHANT_REMINDER))
        assert reminders >= 240
        assert state.reminders_sent == reminders and state.escalated
        # Walk the chain of runs: every run's history stays under the bound.
        sizes = await _run_history_sizes(client, case_id)
        assert len(sizes) > 50
        assert max(sizes) <= 100, sizes


async def _run_history_sizes(client: Client, case_id: str) -> list[int]:
    """Sizes of all runs of the case, newest first, walking back through continue-as-new."""
    from workflows.cancellation import workflow_id_for

    sizes: list[int] = []
    run_id: str | None = (await case_handle(client, case_id).describe()).run_id
    while run_id:
        history = await client.get_workflow_handle(
            workflow_id_for(case_id), run_id=run_id
        ).fetch_history()
        sizes.append(len(history.events))
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
    return sizes


async def test_withdrawal_after_the_answer_and_snooze_in_the_past_are_refused(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    async with awaiting_case(time_skipping_env, acts, MONDAY) as case_id:
        with pytest.raises(CaseActionRejected, match="not in the future"):
            await snooze_case(
                client,
                case_id,
                SnoozeRequest(until=on("2027-02-01"), reason="typo", requested_by="ops"),
            )
        await answer_now(
            time_skipping_env, case_id, HasNowBeenCancelled, access_until=on("2027-04-01")
        )
        with pytest.raises(CaseActionRejected, match="already answered|closed"):
            await withdraw_case(client, case_id, WithdrawalRequest())
        final = await case_handle(client, case_id).result()
        assert final.status is CaseStatus.CLOSED and final.withdrawn_at is None


async def test_an_open_case_keeps_the_policy_it_started_with(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    slow = ResponsePolicy(first_reminder_after=5, second_reminder_after=8, escalate_after=12)
    fast = ResponsePolicy(first_reminder_after=1, second_reminder_after=2, escalate_after=3)
    acts = RecordingActivities(merchants={"acme": make_merchant(response_policy=slow)})
    client = time_skipping_env.client
    async with running_worker(client, acts) as tq:
        old_case = await start_awaiting(time_skipping_env, tq, MONDAY)
        # Ops tighten the merchant's policy: only cases started from now on use it.
        acts.merchants["acme"] = make_merchant(response_policy=fast)
        new_case = await start_awaiting(time_skipping_env, tq, at("2027-03-01T09:00:00"))
        old_state = await case_state(client, old_case)
        new_state = await case_state(client, new_case)
        assert old_state.next_action_at == at("2027-03-08T08:00:00")  # 5 business days
        assert new_state.next_action_at == at("2027-03-02T09:00:00")  # 1 business day


async def test_a_withdrawal_before_the_request_went_out_sends_the_merchant_nothing(
    time_skipping_env: WorkflowEnvironment, acts: RecordingActivities
) -> None:
    client = time_skipping_env.client
    request = make_request()
    # No worker yet: the withdrawal is there before the workflow takes its first step.
    async with running_worker(client, acts, sticky=False) as tq:
        pass
    started = await start_case(client, request, tq)
    await started.handle.signal(CancellationWorkflow.withdraw, WithdrawalRequest(reason="oops"))
    async with running_worker(client, acts, task_queue=tq, sticky=False):
        final = await started.handle.result()
    assert final.status is CaseStatus.WITHDRAWN
    assert acts.of(act.SEND_MERCHANT_REQUEST) == [] and acts.of(act.SEND_MERCHANT_WITHDRAWAL) == []
    [told] = acts.of(act.NOTIFY_CUSTOMER)
    assert told.input.kind is act.CustomerNotificationKind.WITHDRAWN  # type: ignore[attr-defined]
