"""A case for a webhook merchant, on the real workflow with the real activities: the email
goes out at once, the webhook is signed, retried with backoff, and delivered once per event."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from standardwebhooks.webhooks import Webhook
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities import contracts
from activities.webhooks import WebhookActivities
from cases.client import case_state, start_case, submit_answer, withdraw_case
from domain.actions import WithdrawalRequest
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.reply_token import ReplyTokenSigner
from domain.webhooks import ALL_EVENT_TYPES
from storage.merchants import MerchantDirectory
from storage.webhooks import WebhookEndpoints
from tests.eventually import eventually
from tests.helpers.cases import until_status
from tests.helpers.webhook_worker import webhook_case_worker
from tests.helpers.webhooks import PORTAL_BASE_URL, hooked_request, webhook_merchant
from tests.integrations.receiver import HttpsReceiver
from workers.mail_sink import MailSink
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner
from workflows.webhooks import PATCH_ID, WebhookDeliveryWorkflow, delivery_workflow_id


@pytest.fixture
async def task_queue(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    signer: ReplyTokenSigner,
    webhook_activities: WebhookActivities,
) -> AsyncIterator[str]:
    async with webhook_case_worker(
        time_skipping_env, pool, mail_sink, signer, webhook_activities, "hooks"
    ) as queue:
        yield queue


def patches_in(history: WorkflowHistory) -> set[str]:
    """The patch ids recorded by workflow.patched (marker details hold them as JSON)."""
    found = set()
    for event in history.events:
        for details in event.marker_recorded_event_attributes.details.values():
            for payload in details.payloads:
                found |= {p for p in (PATCH_ID, "cheaper-case-v1") if p.encode() in payload.data}
    return found


async def delivered(
    env: WorkflowEnvironment, event_id: str, skip_backoff: bool = False
) -> contracts.WebhookDelivered:
    handle = env.client.get_workflow_handle(
        delivery_workflow_id(event_id), result_type=contracts.WebhookDelivered
    )

    async def closed() -> bool:
        try:
            if (await handle.describe()).close_time is not None:
                return True
        except RPCError:
            pass  # not started yet
        if skip_backoff:
            # Move the test server's clock past the retry backoff (5 s, 10 s, 20 s, ...).
            await env.sleep(timedelta(seconds=30))
        return False

    await eventually(closed, what=f"delivery of {event_id} to finish")
    result: contracts.WebhookDelivered = await handle.result()
    return result


async def test_email_at_once_webhook_signed_retried_and_delivered_once_per_event(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
) -> None:
    client = time_skipping_env.client
    await MerchantDirectory(pool).upsert(webhook_merchant("email_and_webhook"))
    endpoint = await endpoints.add(
        "hooked", receiver.url, ["cancellation.requested", "cancellation.answer_recorded"], "t"
    )
    receiver.fail_next(3)
    case_id = f"wh-{uuid.uuid4().hex[:8]}"
    started = await start_case(client, hooked_request(case_id), task_queue)

    await eventually(lambda: len(mail_sink.messages) >= 1, what="the merchant email")
    # The email is out while the endpoint has taken nothing: it did not wait for the webhook.
    assert [r.answered for r in receiver.received if r.answered < 300] == []
    assert "Holm" in str(mail_sink.messages[0].get_body(("plain",)).get_content())  # type: ignore[union-attr]

    requested_id = f"evt_{case_id}_requested_1_1"
    result = await delivered(time_skipping_env, requested_id, skip_backoff=True)
    assert result.delivered_to == [endpoint.endpoint.endpoint_id]
    attempts = [r for r in receiver.received if r.headers["webhook-id"] == requested_id]
    assert [r.answered for r in attempts] == [503, 503, 503, 204]
    payload = Webhook(endpoint.secret).verify(attempts[-1].body, attempts[-1].headers)
    assert payload["type"] == "cancellation.requested"
    assert payload["data"]["identifiers"] == [
        {"name": "email", "value": "vera.holm@example.org"},
        {"name": "last_name", "value": "Holm"},
    ]
    assert payload["data"]["reply_url"].startswith(f"{PORTAL_BASE_URL}/r/")
    await until_status(client, case_id, CaseStatus.AWAITING)
    await submit_answer(
        client,
        case_id,
        HasNowBeenCancelled(
            answered_at=datetime.now(UTC),
            channel=Channel.API,
            responded_by="desk@hooked.example",
            access_until=date(2026, 12, 31),
        ),
    )
    state = await started.handle.result()
    assert state.status is CaseStatus.CLOSED
    answered = await delivered(time_skipping_env, f"evt_{case_id}_answer_recorded_1_1")
    assert answered.delivered_to == [endpoint.endpoint.endpoint_id]

    ok = [r.headers["webhook-id"] for r in receiver.received if r.answered < 300]
    assert sorted(ok) == sorted({requested_id, f"evt_{case_id}_answer_recorded_1_1"})
    last = json.loads(receiver.received[-1].body)
    assert last["data"]["answer"]["outcome"] == "has_now_been_cancelled"
    assert last["data"]["identifiers"] == [] and last["data"]["reply_url"] is None

    # The deliveries are children the case's own history shows.
    history = await started.handle.fetch_history()
    children = [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.event_type == HistoryEventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]
    assert children == [
        delivery_workflow_id(requested_id),
        delivery_workflow_id(f"evt_{case_id}_answer_recorded_1_1"),
    ]
    assert PATCH_ID in patches_in(history)
    # The history with the patch marker and the child starts replays on the current code.
    await Replayer(
        workflows=[CancellationWorkflow, WebhookDeliveryWorkflow],
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    ).replay_workflow(history)
    # No identifier in clear text in the history (the codec is not on in this test, so the
    # check is on what the workflow itself writes outside payloads: ids and summaries).
    for e in history.events:
        attrs = e.start_child_workflow_execution_initiated_event_attributes
        assert "Holm" not in attrs.workflow_id


async def test_a_webhook_only_merchant_is_requested_reminded_and_told_of_withdrawal(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
) -> None:
    client = time_skipping_env.client
    await MerchantDirectory(pool).upsert(webhook_merchant("webhook"))
    endpoint = await endpoints.add("hooked", receiver.url, list(ALL_EVENT_TYPES), "t")
    case_id = f"wo-{uuid.uuid4().hex[:8]}"
    started = await start_case(client, hooked_request(case_id), task_queue)
    requested = await delivered(time_skipping_env, f"evt_{case_id}_requested_1_1")
    assert requested.delivered_to == [endpoint.endpoint.endpoint_id]

    async def reminded() -> bool:
        await time_skipping_env.sleep(timedelta(days=1))
        return (await case_state(client, case_id)).reminders_sent >= 1

    await eventually(reminded, what="the first reminder")
    await delivered(time_skipping_env, f"evt_{case_id}_reminder_1_1")
    await withdraw_case(client, case_id, WithdrawalRequest(reason="changed my mind"))
    state = await started.handle.result()
    assert state.status is CaseStatus.WITHDRAWN
    await delivered(time_skipping_env, f"evt_{case_id}_withdrawn_1_1")

    bodies = {r.headers["webhook-id"]: json.loads(r.body) for r in receiver.received}
    reminder = bodies[f"evt_{case_id}_reminder_1_1"]
    assert reminder["type"] == "cancellation.reminder"
    assert reminder["data"]["reminder_number"] == 1
    assert reminder["data"]["reply_url"].startswith(f"{PORTAL_BASE_URL}/r/")
    assert bodies[f"evt_{case_id}_withdrawn_1_1"]["type"] == "cancellation.withdrawn"
    # No email to the merchant at all; the customer still hears of the withdrawal.
    assert [e.kind for e in state.emails] == ["customer-withdrawn"]
    assert [str(m["To"]) for m in mail_sink.messages] == ["vera.holm@example.org"]


async def test_an_email_only_case_records_nothing_new(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
) -> None:
    """Email-only merchants (every case before webhooks) get no patch marker and no child,
    so running cases replay unchanged; an endpoint alone does not switch webhooks on."""
    client = time_skipping_env.client
    await MerchantDirectory(pool).upsert(webhook_merchant("email"))
    await endpoints.add("hooked", receiver.url, list(ALL_EVENT_TYPES), "t")
    case_id = f"eo-{uuid.uuid4().hex[:8]}"
    started = await start_case(client, hooked_request(case_id), task_queue)
    await until_status(client, case_id, CaseStatus.AWAITING)
    history = await started.handle.fetch_history()
    assert not any(
        e.event_type == HistoryEventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        for e in history.events
    )
    assert PATCH_ID not in patches_in(history)
    assert len(mail_sink.messages) == 1 and receiver.received == []
