"""The audit of a webhook merchant's case, run on the time-skipping server with the real
workflow, activities, database and HTTPS receiver: one event delivered, one whose endpoint
stays down until its delivery gives up while the case is still open."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.config import EmailSettings
from activities.smtp import SmtpSender
from activities.webhook_failures import WebhookFailureActivities
from activities.webhooks import WEBHOOK_NOT_DELIVERED, WebhookActivities
from cases.client import case_handle, start_case
from domain.reply_token import ReplyTokenSigner
from ops.audit import Timeline, case_timeline, render_text
from storage.merchants import MerchantDirectory
from storage.outbox import Outbox
from storage.webhooks import WebhookEndpoints, WebhookFailures
from tests.eventually import eventually
from tests.helpers.webhook_worker import sink_smtp, webhook_case_worker
from tests.helpers.webhooks import DOWN_ENDPOINT, hooked_request, webhook_merchant
from tests.integrations.receiver import HttpsReceiver
from workers.mail_sink import MailSink
from workflows.webhooks import delivery_workflow_id


@pytest.fixture
async def task_queue(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    signer: ReplyTokenSigner,
    webhook_activities: WebhookActivities,
) -> AsyncIterator[str]:
    report = WebhookFailureActivities(
        WebhookFailures(pool), SmtpSender(sink_smtp(mail_sink)), EmailSettings(), Outbox(pool)
    )
    async with webhook_case_worker(
        time_skipping_env,
        pool,
        mail_sink,
        signer,
        webhook_activities,
        "hook-audit",
        [report.report_webhook_failure],
    ) as queue:
        yield queue


async def test_the_audit_shows_a_delivered_event_and_one_that_gave_up_while_the_case_was_open(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
) -> None:
    env = time_skipping_env
    await MerchantDirectory(pool).upsert(webhook_merchant("email_and_webhook"))
    await endpoints.add("hooked", DOWN_ENDPOINT, ["cancellation.requested"], "ops:t")
    await endpoints.add("hooked", receiver.url, ["cancellation.reminder"], "ops:t")
    case_id = f"wa-{uuid.uuid4().hex[:8]}"
    await start_case(env.client, hooked_request(case_id), task_queue)
    requested = f"evt_{case_id}_requested_1_1"

    # Waiting for the request's delivery moves the server's clock through its 5-day window;
    # the case meanwhile reminds the merchant (business day 2) and stays open.
    delivery = env.client.get_workflow_handle(delivery_workflow_id(requested))

    async def delivery_started() -> bool:
        try:
            await delivery.describe()
        except RPCError:
            return False  # the case has not started it yet
        return True

    await eventually(delivery_started, what="the request's delivery to start")

    async def delivery_closed() -> bool:
        if (await delivery.describe()).close_time is not None:
            return True
        await env.sleep(timedelta(hours=12))
        return False

    # About 720 attempts (5 days at most 10 minutes apart), each a real connection refused:
    # some 30 s of a quiet machine, more on a loaded one.
    await eventually(delivery_closed, what="the request's delivery to give up", within=180)
    with pytest.raises(WorkflowFailureError):
        await delivery.result()

    async def webhook_story() -> Timeline:
        timeline = await case_timeline(env.client, case_id)
        if not {"webhook_failed", "webhook_delivered"} <= set(timeline.kinds()):
            # Reminder 1 is due two business days in: before or after the give-up, by weekday.
            await env.sleep(timedelta(hours=12))
        return timeline

    def both_ended(timeline: Timeline) -> bool:
        return {"webhook_failed", "webhook_delivered"} <= set(timeline.kinds())

    timeline = await eventually(webhook_story, both_ended, what="both deliveries to end")
    reminder = f"evt_{case_id}_reminder_1_1"

    def story_of(event_id: str) -> list[str]:
        return [e.kind for e in timeline.entries if e.details.get("event_id") == event_id]

    assert story_of(requested) == ["webhook_sent", "webhook_failed"]
    assert story_of(reminder) == ["webhook_sent", "webhook_delivered"]
    sent = [e.details["event_type"] for e in timeline.entries if e.kind == "webhook_sent"]
    # A later reminder may follow, depending on the weekday the test runs.
    assert sent[:2] == ["cancellation.requested", "cancellation.reminder"]
    failed = timeline.entries[timeline.kinds().index("webhook_failed")]
    assert failed.details["how"] == "gave_up"
    assert failed.details["last_error_type"] == WEBHOOK_NOT_DELIVERED
    assert failed.details["delivery_workflow_id"] == delivery_workflow_id(requested)
    delivered = timeline.entries[timeline.kinds().index("webhook_delivered")]
    assert delivered.details["endpoints"] == 1
    # The case is still open: it neither closed nor left a delivery behind.
    assert "case_closed" not in timeline.kinds()
    assert "webhook_in_flight" not in timeline.kinds()
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)

    text = render_text(timeline)
    # Neither the customer's identifiers from the event nor the endpoint's address or error.
    for secret in ("vera.holm@example.org", "Holm", "127.0.0.1", "ConnectError", receiver.url):
        assert secret not in text and secret not in str(timeline.to_json())

    await case_handle(env.client, case_id).terminate("test over")
