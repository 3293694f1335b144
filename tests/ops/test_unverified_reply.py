"""A reply from a stranger to a genuine reply address is kept for ops but does not stop the chase."""

from __future__ import annotations

from functools import partial

from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import case_handle, case_state, start_case
from domain.actions import EmailReplyNotice
from domain.case import CaseStatus
from domain.merchant import ResponsePolicy
from tests.eventually import eventually
from tests.helpers.harness import (
    MINUTE,
    RecordingActivities,
    advance_to,
    at,
    make_merchant,
    make_request,
    running_worker,
)
from workflows.cancellation import CancellationWorkflow


async def test_an_unverified_reply_is_kept_and_reminders_and_escalation_go_on(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    merchant = make_merchant(
        response_policy=ResponsePolicy(
            first_reminder_after=2, second_reminder_after=4, escalate_after=6
        )
    )
    acts = RecordingActivities(merchants={"acme": merchant})
    client = time_skipping_env.client
    async with running_worker(client, acts) as tq:
        # Monday 1 March 2027, 09:00 in Stockholm (UTC+1).
        await advance_to(time_skipping_env, at("2027-03-01T08:00:00"))
        request = make_request()
        await start_case(client, request, tq)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        await case_handle(client, request.case_id).signal(
            CancellationWorkflow.email_reply_received,
            EmailReplyNotice(
                message_id="spoof-1@attacker.example",
                sender="someone@attacker.example",
                subject="Re: cancellation",
                received_at=at("2027-03-01T10:00:00"),
                sender_verified=False,
            ),
        )
        state = await eventually(
            lambda: case_state(client, request.case_id), lambda s: len(s.email_replies) == 1
        )
        assert state.status is CaseStatus.AWAITING
        assert state.email_replies[0].sender_verified is False
        assert state.next_action_at == at("2027-03-03T08:00:00")

        for name, due in (
            (act.SEND_MERCHANT_REMINDER, at("2027-03-03T08:00:00")),
            (act.NOTIFY_OPS, at("2027-03-09T08:00:00")),
        ):
            await advance_to(time_skipping_env, due - MINUTE)
            waiting = await case_state(client, request.case_id)
            assert waiting.status is not CaseStatus.NEEDS_TRIAGE
            assert acts.of(name) == [], f"{name} before {due}"
            await advance_to(time_skipping_env, due + MINUTE)
            fired = await eventually(partial(acts.of, name), bool)
            assert due <= fired[0].at < due + MINUTE
