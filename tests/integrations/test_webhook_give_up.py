"""A delivery that gives up after its 5-day window tells ops (email now, digest later), on the
time-skipping server with the real activities, database, HTTP client and mail sink."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import WorkflowFailureError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities import contracts
from activities.config import EmailSettings, SmtpSettings
from activities.digest import DigestActivities
from activities.smtp import SmtpSender
from activities.webhook_failures import WebhookFailureActivities
from activities.webhooks import WebhookActivities
from domain.case import CaseStatus
from domain.digest import OpenCase, build_digest
from domain.merchant import Merchant
from storage.outbox import Outbox
from storage.webhooks import FailedDelivery, WebhookEndpoints, WebhookFailures
from tests.helpers.webhooks import DOWN_ENDPOINT, requested_event
from workers.mail_sink import MailSink
from workflows.sandbox import workflow_runner
from workflows.webhooks import (
    GIVE_UP_PATCH_ID,
    WEBHOOK_DELIVERY_WINDOW,
    WebhookDeliveryWorkflow,
    delivery_workflow_id,
)


@pytest.fixture
async def task_queue(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    webhook_activities: WebhookActivities,
) -> AsyncIterator[str]:
    smtp = SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=10)
    report = WebhookFailureActivities(
        WebhookFailures(pool), SmtpSender(smtp), EmailSettings(), Outbox(pool)
    )
    queue = f"give-up-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[WebhookDeliveryWorkflow],
        activities=[webhook_activities.deliver_webhook, report.report_webhook_failure],
        workflow_runner=workflow_runner(),
    ):
        yield queue


def ops_mail(sink: MailSink) -> list[str]:
    return [str(m["Subject"]) for m in sink.messages if "ops@" in str(m.get("To", ""))]


async def test_a_delivery_that_gives_up_after_five_days_emails_ops_once(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    endpoints: WebhookEndpoints,
    merchant_in_directory: Merchant,
) -> None:
    env = time_skipping_env
    await endpoints.add("hooked", DOWN_ENDPOINT, ["cancellation.requested"], "ops:t")
    event = requested_event("gives-up-1")
    handle = await env.client.start_workflow(
        WebhookDeliveryWorkflow.run,
        contracts.WebhookDeliveryInput(merchant_id="hooked", event=event),
        id=delivery_workflow_id(event.id),
        task_queue=task_queue,
    )
    started = (await handle.describe()).start_time
    assert started is not None

    # Four days in, the endpoint is still tried and nobody has been told yet.
    await env.sleep(timedelta(days=4))
    assert (await handle.describe()).close_time is None
    assert await pool.fetchval("SELECT count(*) FROM webhook_failures") == 0
    assert ops_mail(mail_sink) == []

    with pytest.raises(WorkflowFailureError):
        await handle.result()

    [failure] = await WebhookFailures(pool).between(started, started + timedelta(days=6))
    assert failure.event_id == event.id and failure.case_id == "gives-up-1"
    assert failure.merchant_id == "hooked" and failure.event_type == "cancellation.requested"
    assert failure.started_at == started
    # It gave up within the last backoff interval (10 min) before the 5-day window closed.
    deadline = started + WEBHOOK_DELIVERY_WINDOW
    assert deadline - timedelta(minutes=10) <= failure.gave_up_at <= deadline
    assert "ConnectError" in failure.last_error
    assert ops_mail(mail_sink) == [
        "Webhook not delivered: cancellation.requested for merchant hooked (case gives-up-1)"
    ]
    [message] = [m for m in mail_sink.messages if "ops@" in str(m["To"])]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and f"workflow webhook-{event.id}" in body.get_content()

    # The history shows the delivery's last failure, then the report, then the failed close.
    history = await handle.fetch_history()
    kinds = [e.event_type for e in history.events]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == [contracts.DELIVER_WEBHOOK, contracts.REPORT_WEBHOOK_FAILURE]
    assert kinds[-1] == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    assert any(
        GIVE_UP_PATCH_ID.encode() in p.data
        for e in history.events
        for d in e.marker_recorded_event_attributes.details.values()
        for p in d.payloads
    )
    [timed_out_or_failed] = [
        e
        for e in history.events
        if e.event_type
        in (
            HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        )
    ]
    assert timed_out_or_failed.event_time.ToDatetime(UTC) <= deadline

    # A report retried after the email went out neither records nor sends it twice.
    again = contracts.WebhookFailureInput(
        event_id=event.id,
        event_type="cancellation.requested",
        merchant_id="hooked",
        case_id="gives-up-1",
        started_at=started,
        gave_up_at=failure.gave_up_at,
        last_error="later",
    )
    smtp = SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=10)
    report = WebhookFailureActivities(
        WebhookFailures(pool), SmtpSender(smtp), EmailSettings(), Outbox(pool)
    )
    await ActivityEnvironment().run(report.report_webhook_failure, again)
    assert len(ops_mail(mail_sink)) == 1
    [still] = await WebhookFailures(pool).between(started, started + timedelta(days=6))
    assert still.last_error == failure.last_error


async def test_the_ops_digest_lists_the_days_failed_deliveries(
    pool: asyncpg.Pool, mail_sink: MailSink
) -> None:
    now = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    failures = WebhookFailures(pool)
    for event_id, gave_up_at in (
        ("evt_c1_requested_1_1", now - timedelta(hours=3)),
        ("evt_c0_reminder_1_1", now - timedelta(days=2)),  # reported in an earlier digest
    ):
        await failures.record(
            FailedDelivery(
                event_id=event_id,
                merchant_id="hooked",
                event_type="cancellation.requested",
                case_id=event_id.split("_")[1],
                started_at=gave_up_at - WEBHOOK_DELIVERY_WINDOW,
                gave_up_at=gave_up_at,
                last_error="we_x: endpoint answered HTTP 503",
            )
        )

    async def no_open_cases(_: str) -> AsyncIterator[OpenCase]:
        return
        yield  # an async generator with nothing in it

    smtp = SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=10)
    digest = DigestActivities(
        no_open_cases,
        SmtpSender(smtp),
        EmailSettings(),
        Outbox(pool),
        failed_webhooks=failures.between,
    )
    report = build_digest(
        [
            OpenCase(
                case_id="c9",
                merchant_id="hooked",
                status=CaseStatus.AWAITING,
                escalated=False,
                requested_at=now - timedelta(days=1),
            )
        ],
        now,
    )
    await ActivityEnvironment().run(
        digest.send_ops_digest,
        contracts.OpsDigestInput(report=report, digest_date=date(2026, 3, 10)),
    )
    [message] = mail_sink.messages
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Webhook deliveries given up in the last 24 h: 1" in text
    assert "evt_c1_requested_1_1  hooked  cancellation.requested  case c1" in text
    assert "evt_c0_reminder_1_1" not in text
