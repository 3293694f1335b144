"""Capture real histories of every path of CancellationWorkflow for the replay tests.

    .venv/bin/python -m tests.replay.capture_histories          # all scenarios
    .venv/bin/python -m tests.replay.capture_histories withdrawal

Runs each scenario on a time-skipping test server with the real workflow code and
recording activities, and writes every run of the case (rounds continue as new) to
tests/replay/histories/<scenario>.<run>.json. Capture with the code that is running in
production *before* changing the workflow, commit the files, and the replay test then
proves the change can still replay those cases.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import (
    case_handle,
    case_state,
    correct_customer_details,
    resend_request,
    snooze_case,
    start_case,
    submit_answer,
    withdraw_case,
)
from domain.actions import (
    DetailsCorrection,
    EmailReplyNotice,
    ResendRequest,
    SnoozeRequest,
    WithdrawalRequest,
)
from domain.answers import (
    BindingContract,
    HasNowBeenCancelled,
    NoSubscriptionFound,
    OtherReason,
    WasAlreadyCancelled,
)
from domain.case import CaseState, CaseStatus
from domain.common import Channel
from domain.customer import CustomerIdentifiers
from domain.merchant import ResponsePolicy
from tests.eventually import eventually
from tests.helpers.harness import (
    RecordingActivities,
    Sent,
    advance_to,
    make_merchant,
    make_request,
    running_worker,
)
from workers.temporal_namespace import register_search_attributes
from workflows.cancellation import CancellationWorkflow, SubmitAnswer, workflow_id_for
from workflows.webhooks import WebhookDeliveryWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"
START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm

Scenario = Callable[[WorkflowEnvironment, Client, str], Awaitable[None]]


def _by(channel: Channel = Channel.PORTAL, who: str = "Acme support") -> dict[str, object]:
    return {"channel": channel, "responded_by": who}


async def _now(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


async def _until(client: Client, case_id: str, status: CaseStatus) -> None:
    async def reached() -> bool:
        return (await case_state(client, case_id)).status is status

    await eventually(reached)


async def _answer_and_finish(
    env: WorkflowEnvironment, client: Client, case_id: str, answer: object
) -> None:
    await submit_answer(client, case_id, answer)  # type: ignore[arg-type]
    await case_handle(client, case_id).result()


async def _cancelled_and_finish(
    env: WorkflowEnvironment,
    client: Client,
    case_id: str,
    access_until: date,
    by: dict[str, object] | None = None,
) -> None:
    answer = HasNowBeenCancelled(
        access_until=access_until, answered_at=await _now(env), **(by or _by())
    )
    await _answer_and_finish(env, client, case_id, answer)


async def _until_state(client: Client, case_id: str, reached: Callable[[CaseState], bool]) -> None:
    await eventually(lambda: case_state(client, case_id), reached)


def _round_two(state: CaseState) -> bool:
    return state.round == 2 and state.status is CaseStatus.AWAITING


def _reminded(state: CaseState) -> bool:
    return state.reminders_sent >= 1


async def has_now_been_cancelled(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await _cancelled_and_finish(env, client, case_id, date(2027, 3, 31))


async def was_already_cancelled(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    answer = WasAlreadyCancelled(
        cancelled_on=date(2027, 2, 20),
        answered_at=await _now(env),
        **_by(Channel.API, "api"),
    )
    await _answer_and_finish(env, client, case_id, answer)


async def other_reason(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    answer = OtherReason(
        message="Account is under a fraud investigation",
        answered_at=await _now(env),
        **_by(),
    )
    await _answer_and_finish(env, client, case_id, answer)


async def binding_contract_round_two(
    env: WorkflowEnvironment, client: Client, case_id: str
) -> None:
    answer = BindingContract(
        contract_ends_on=date(2027, 9, 30),
        answered_at=await _now(env),
        **_by(),
    )
    await submit_answer(client, case_id, answer)
    await _until(client, case_id, CaseStatus.FOLLOW_UP)
    await advance_to(env, datetime(2027, 9, 1, tzinfo=UTC))
    await _until_state(client, case_id, _round_two)
    await _cancelled_and_finish(env, client, case_id, date(2027, 9, 30))


async def no_subscription_unresolved(
    env: WorkflowEnvironment, client: Client, case_id: str
) -> None:
    await submit_answer(client, case_id, NoSubscriptionFound(answered_at=await _now(env), **_by()))
    await _until(client, case_id, CaseStatus.FOLLOW_UP)
    await advance_to(env, START + timedelta(days=20))
    await case_handle(client, case_id).result()


async def no_subscription_corrected(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await submit_answer(client, case_id, NoSubscriptionFound(answered_at=await _now(env), **_by()))
    await _until(client, case_id, CaseStatus.FOLLOW_UP)
    corrected = CustomerIdentifiers(
        email="anna.s@example.org", first_name="Anna", last_name="Berg", card_last4="1111"
    )
    await correct_customer_details(client, case_id, DetailsCorrection(customer=corrected))
    await _until_state(client, case_id, _round_two)
    await _cancelled_and_finish(env, client, case_id, date(2027, 4, 1))


async def reminders_escalation_answer(
    env: WorkflowEnvironment, client: Client, case_id: str
) -> None:
    # Past reminder 1, reminder 2, escalation and two repeat reminders: continues as new.
    await advance_to(env, START + timedelta(days=40))
    await _until_state(client, case_id, lambda s: s.escalated and s.reminders_sent >= 4)
    await _cancelled_and_finish(env, client, case_id, date(2027, 5, 1))


async def email_reply_triage(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await case_handle(client, case_id).signal(
        CancellationWorkflow.email_reply_received,
        EmailReplyNotice(
            message_id="<reply-1@acme.example>",
            sender="support@acme.example",
            subject="Re: Cancellation request",
            received_at=await _now(env),
        ),
    )
    await _until(client, case_id, CaseStatus.NEEDS_TRIAGE)
    await advance_to(env, START + timedelta(days=3))
    await _answer_and_finish(
        env,
        client,
        case_id,
        WasAlreadyCancelled(
            cancelled_on=date(2027, 2, 27),
            answered_at=await _now(env),
            reference="<reply-1@acme.example>",
            **_by(Channel.EMAIL, "ops Eva"),
        ),
    )


async def snooze_then_answer(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await snooze_case(
        client,
        case_id,
        SnoozeRequest(until=date(2027, 3, 15), reason="merchant closed", requested_by="ops Eva"),
    )
    await advance_to(env, datetime(2027, 3, 16, tzinfo=UTC))
    await _cancelled_and_finish(env, client, case_id, date(2027, 4, 1), _by(Channel.OPS, "ops Eva"))


async def webhook_merchant(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    """A merchant told by email and webhook (patch 'webhooks-v1'): the request, a reminder and
    the recorded answer each start a delivery child; the case never waits for one."""
    await advance_to(env, START + timedelta(days=3))
    await _until_state(client, case_id, _reminded)
    await _cancelled_and_finish(env, client, case_id, date(2027, 3, 31), _by(Channel.API, "api"))


async def resend_then_answer(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    """Ops send the request again (Update resend_request) to a merchant told by email and
    webhook: a second request email and `cancellation.requested` again; reminder 1 keeps
    its date."""
    await advance_to(env, START + timedelta(days=1))
    await resend_request(
        client,
        case_id,
        ResendRequest(requested_by="ops:eva@example.com", note="merchant never got it"),
    )
    await advance_to(env, START + timedelta(days=3))
    await _until_state(client, case_id, _reminded)
    await _cancelled_and_finish(
        env, client, case_id, date(2027, 3, 31), _by(Channel.PORTAL, "Acme support")
    )


class RecordingWithWebhooks(RecordingActivities):
    """Also takes the delivery children's POSTs (recorded, never sent anywhere)."""

    def functions(self) -> list[object]:
        @activity.defn(name=act.DELIVER_WEBHOOK)
        async def deliver_webhook(data: act.WebhookDeliveryInput) -> act.WebhookDelivered:
            self.sent.append(Sent(act.DELIVER_WEBHOOK, data, activity.info().scheduled_time))
            return act.WebhookDelivered(event_id=data.event.id, delivered_to=["we_replay"])

        return [*super().functions(), deliver_webhook]


async def withdrawal(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await withdraw_case(client, case_id, WithdrawalRequest(reason="changed my mind"))
    await case_handle(client, case_id).result()


async def withdrawn_before_request(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    await case_handle(client, case_id).signal(
        CancellationWorkflow.withdraw, WithdrawalRequest(reason="changed my mind")
    )


async def answered_before_request(env: WorkflowEnvironment, client: Client, case_id: str) -> None:
    answer = WasAlreadyCancelled(
        cancelled_on=date(2027, 2, 20),
        answered_at=await _now(env),
        **_by(Channel.OPS, "ops Eva"),
    )
    await case_handle(client, case_id).signal(
        CancellationWorkflow.merchant_response, SubmitAnswer(answer=answer)
    )


# Paths that begin before the case's first step: the signal arrives, then a worker starts.
BEFORE_FIRST_STEP: dict[str, Scenario] = {
    "withdrawn-before-request": withdrawn_before_request,
    "answered-before-request": answered_before_request,
}

SCENARIOS: dict[str, Scenario] = {
    **BEFORE_FIRST_STEP,
    "has-now-been-cancelled": has_now_been_cancelled,
    "was-already-cancelled": was_already_cancelled,
    "binding-contract-round-two": binding_contract_round_two,
    "no-subscription-unresolved": no_subscription_unresolved,
    "no-subscription-corrected": no_subscription_corrected,
    "other-reason": other_reason,
    "reminders-escalation-answer": reminders_escalation_answer,
    "email-reply-triage": email_reply_triage,
    "snooze-then-answer": snooze_then_answer,
    "withdrawal": withdrawal,
    "webhook-merchant": webhook_merchant,
    "resend-then-answer": resend_then_answer,
}

# Scenarios whose merchant is told by webhook as well as by email.
WEBHOOK_MERCHANTS = {"webhook-merchant", "resend-then-answer"}


async def capture(name: str, scenario: Scenario) -> list[Path]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=shutil.which("temporal-test-server")
        or str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client)
        client = env.client
        policy = ResponsePolicy(
            first_reminder_after=2,
            second_reminder_after=4,
            escalate_after=6,
            repeat_reminder_every=3,
        )
        webhooks = name in WEBHOOK_MERCHANTS
        merchant = make_merchant(
            response_policy=policy, **({"notify_by": "email_and_webhook"} if webhooks else {})
        )
        acts = RecordingWithWebhooks(merchants={"acme": merchant})
        await advance_to(env, START)
        request = make_request(case_id=f"replay-{name}")
        if name in BEFORE_FIRST_STEP:
            # The signal is there before any worker runs the case's first step.
            tq = f"replay-{name}"
            started = await start_case(client, request, tq)
            await BEFORE_FIRST_STEP[name](env, client, request.case_id)
            async with running_worker(client, acts, task_queue=tq, sticky=False):
                await started.handle.result()
                return await _save_runs(client, request.case_id, name)
        workflows = [CancellationWorkflow, WebhookDeliveryWorkflow]
        async with running_worker(client, acts, workflows=workflows) as tq:
            await start_case(client, request, tq)
            await _until(client, request.case_id, CaseStatus.AWAITING)
            await scenario(env, client, request.case_id)
            return await _save_runs(client, request.case_id, name)
    finally:
        await env.shutdown()


async def _save_runs(client: Client, case_id: str, name: str) -> list[Path]:
    workflow_id = workflow_id_for(case_id)
    histories = []
    run_id: str | None = (await case_handle(client, case_id).describe()).run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
    paths = []
    for number, history in enumerate(reversed(histories), start=1):
        path = HISTORIES / f"{name}.run{number}.json"
        path.write_text(history.to_json())
        paths.append(path)
    return paths


async def main(names: list[str]) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    for name in names or list(SCENARIOS):
        for path in await capture(name, SCENARIOS[name]):
            print(
                f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
            )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
