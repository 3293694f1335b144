"""The audit timeline: each case's history read back as who did what when."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import contracts as act
from cases.client import case_handle, case_state, start_case, submit_answer
from domain.actions import EmailReplyNotice
from domain.answers import BindingContract, HasNowBeenCancelled, OtherReason
from domain.case import CaseStatus
from domain.common import Channel
from ops.audit import case_timeline, render_text
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker


@dataclass
class CustomerEmailOnHold(RecordingActivities):
    """Holds the customer email until released, so the case stays open meanwhile."""

    release: asyncio.Event = field(default_factory=asyncio.Event)

    def functions(self) -> list[object]:
        @activity.defn(name=act.NOTIFY_CUSTOMER)
        async def notify_customer(data: act.CustomerNotificationInput) -> act.EmailSent:
            await self.release.wait()
            return self._record(act.NOTIFY_CUSTOMER, data)

        others = [
            f
            for f in super().functions()
            if getattr(f, "__temporal_activity_definition").name != act.NOTIFY_CUSTOMER
        ]
        return [*others, notify_customer]


def _answer(**fields: object) -> HasNowBeenCancelled:
    data: dict[str, object] = {
        "access_until": "2030-01-31",
        "answered_at": datetime.now(UTC),
        "channel": Channel.PORTAL,
        "responded_by": "Bo at Acme",
    }
    data.update(fields)
    return HasNowBeenCancelled.model_validate(data)


async def test_timeline_of_an_email_reply_answered_by_ops(
    dev_server_env: WorkflowEnvironment, encrypted_client: Client
) -> None:
    # Encrypted history: the timeline must read through the codec.
    client = encrypted_client
    acts = CustomerEmailOnHold(merchants={"acme": make_merchant()})
    request = make_request()
    async with running_worker(client, acts) as task_queue:
        started = await start_case(client, request, task_queue)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        await case_handle(client, request.case_id).signal(
            "email_reply_received",
            EmailReplyNotice(
                message_id="r1@acme.example",
                sender="support@acme.example",
                subject="Re: cancel",
                received_at=datetime.now(UTC),
            ),
        )
        await eventually(
            lambda: case_state(client, request.case_id),
            lambda s: s.status is CaseStatus.NEEDS_TRIAGE,
        )
        answer = _answer(channel=Channel.OPS, responded_by="ops:karin", reference="r1@acme.example")
        await submit_answer(client, request.case_id, answer)
        # A repeat while the case is still open (the customer email is held) changes nothing.
        assert not (await submit_answer(client, request.case_id, answer)).recorded
        acts.release.set()
        await started.handle.result()

    timeline = await case_timeline(client, request.case_id)
    story = [e for e in timeline.entries if e.kind != "status"]
    assert [e.kind for e in story] == [
        "request_received",
        "merchant_email_sent",
        "email_reply_received",
        "answer_received",
        "answer_received",
        "customer_notified",
        "case_closed",
    ]
    repeat = story[4]
    assert repeat.details["repeat"] is True and "nothing changed" in repeat.summary
    statuses = [e.details["status"] for e in timeline.entries if e.kind == "status"]
    assert statuses[:3] == ["awaiting", "needs_triage", "answered"]
    times = [e.at for e in timeline.entries]
    assert times == sorted(times)
    sent = story[1]
    assert sent.details["message_id"] == f"<{request.case_id}.request.1@test>"
    assert story[2].details["message_id"] == "r1@acme.example"
    first = story[3]
    assert (first.actor, first.details["channel"], first.details["reference"]) == (
        "ops:karin",
        "ops",
        "r1@acme.example",
    )
    assert first.details["access_until"] == "2030-01-31" and "repeat" not in first.details
    assert story[5].details["customer_outcome"] == "cancelled"
    assert story[6].details == {
        "status": "closed",
        "outcome": "has_now_been_cancelled",
        "customer_outcome": "cancelled",
    }

    # No customer identifier in the audit output, text or JSON.
    text = render_text(timeline) + json.dumps(timeline.to_json(), default=str)
    for secret in ("anna", "svensson", "storgatan", "4242", "C-778899"):
        assert secret not in text.lower()
    assert "Message-ID <" in text


async def test_timeline_of_reminders_escalation_and_other_reason(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    client = time_skipping_env.client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    request = make_request()
    async with running_worker(client, acts) as task_queue:
        started = await start_case(client, request, task_queue)
        await time_skipping_env.sleep(timedelta(days=30))
        state = await case_state(client, request.case_id)
        assert state.escalated
        await submit_answer(
            client,
            request.case_id,
            OtherReason(
                message="Customer owes us money",
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await started.handle.result()

    timeline = await case_timeline(client, request.case_id)
    story = [e.kind for e in timeline.entries if e.kind != "status"]
    assert story[:5] == [
        "request_received",
        "merchant_email_sent",
        "reminder_sent",
        "reminder_sent",
        "escalated",
    ]
    assert story[-4:] == ["answer_received", "ops_notified", "customer_notified", "case_closed"]
    # Whatever chasing followed the escalation is there too, one entry per email sent.
    reminders = [e for e in timeline.entries if e.kind == "reminder_sent"]
    sent_reminders = acts.of("send_merchant_reminder")
    assert [e.details["reminder_number"] for e in reminders] == [
        s.input.reminder_number  # type: ignore[attr-defined]
        for s in sent_reminders
    ]
    assert reminders[0].details["reminder_number"] == 1
    escalations = [
        s
        for s in acts.of("notify_ops")
        if s.input.kind == "escalation"  # type: ignore[attr-defined]
    ]
    assert story.count("escalated") == len(escalations)
    # The merchant's free text is for ops, not for an exported audit log.
    assert "owes us money" not in json.dumps(timeline.to_json(), default=str)


async def test_timeline_follows_rounds_across_continue_as_new(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    client = time_skipping_env.client
    merchant = make_merchant(notice_period_days=30)
    acts = RecordingActivities(merchants={"acme": merchant})
    request = make_request()
    async with running_worker(client, acts) as task_queue:
        await start_case(client, request, task_queue)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        # Bound for 40 more days: a new request goes out 30 days before that, in round 2.
        now = await time_skipping_env.get_current_time()
        await submit_answer(
            client,
            request.case_id,
            BindingContract(
                contract_ends_on=(now + timedelta(days=40)).date(),
                answered_at=now,
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await time_skipping_env.sleep(timedelta(days=11))
        await eventually(
            lambda: case_state(client, request.case_id),
            lambda s: s.round == 2 and s.status is CaseStatus.AWAITING,
        )
        await submit_answer(client, request.case_id, _answer(answered_at=now))
        await case_handle(client, request.case_id).result()

    timeline = await case_timeline(client, request.case_id)
    assert len(timeline.runs) >= 2
    story = [(e.round, e.kind) for e in timeline.entries if e.kind != "status"]
    first_round = [k for r, k in story if r == 1]
    second_round = [k for r, k in story if r == 2]
    assert first_round == [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "round_ended",
    ]
    assert second_round == [
        "round_started",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ]
