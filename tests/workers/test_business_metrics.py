"""Business metrics count what happened (#17.2): a case whose request reached a webhook-only
merchant counts as started like one whose request was emailed; customer notices count by
channel; a retry that found its work done counts nothing. Run through the real interceptor
inside an activity context."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from activities import contracts
from domain.request import Subscription
from domain.webhooks import CaseEventData, EventType, WebhookEvent
from tests.helpers.harness import make_merchant
from workers.observability.business import BusinessMetrics, BusinessMetricsInterceptor

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class _Returns(ActivityInboundInterceptor):
    def __init__(self, result: Any) -> None:
        self._result = result

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        return self._result


async def count(metrics: BusinessMetrics, activity_type: str, arg: Any, result: Any) -> None:
    counting = BusinessMetricsInterceptor(metrics, client=None).intercept_activity(  # type: ignore[arg-type]
        _Returns(result)
    )
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_type=activity_type)

    async def run() -> Any:
        return await counting.execute_activity(
            ExecuteActivityInput(fn=run, args=[arg], executor=None, headers={})
        )

    await env.run(run)


def value(metrics: BusinessMetrics, name: str, **labels: str) -> float:
    sample = metrics.registry.get_sample_value(name, labels)
    return sample or 0.0


def webhook(event_type: EventType, round: int, required: bool) -> contracts.WebhookDeliveryInput:
    data = CaseEventData(
        case_id="case-m",
        reference="CF-TEST",
        merchant_id="acme",
        round=round,
        subscription=Subscription(name="Acme Premium"),
        requested_at=NOW,
        reminder_number=1 if event_type is EventType.REMINDER else None,
    )
    event = WebhookEvent(
        id=f"evt-{event_type.value}-{round}", type=event_type, timestamp=NOW, data=data
    )
    return contracts.WebhookDeliveryInput(merchant_id="acme", event=event, required=required)


def delivered(*endpoints: str) -> contracts.WebhookDelivered:
    return contracts.WebhookDelivered(event_id="evt", delivered_to=list(endpoints))


def merchant_email(
    kind: contracts.MerchantEmailKind, round: int = 1
) -> contracts.MerchantEmailInput:
    return contracts.MerchantEmailInput(
        case_id="case-m",
        round=round,
        kind=kind,
        reminder_number=1 if kind is contracts.MerchantEmailKind.REMINDER else None,
        merchant=make_merchant(),
        subscription=Subscription(name="Acme Premium"),
        identifiers=[],
        requested_at=NOW,
    )


def sent(already: bool = False) -> contracts.EmailSent:
    return contracts.EmailSent(message_id="<m@x>", sent_at=NOW, already_sent=already)


@pytest.fixture
def metrics() -> BusinessMetrics:
    return BusinessMetrics(CollectorRegistry())


async def test_a_webhook_only_merchants_case_counts_as_started_once(
    metrics: BusinessMetrics,
) -> None:
    await count(
        metrics, contracts.DELIVER_WEBHOOK, webhook(EventType.REQUESTED, 1, True), delivered("ep1")
    )
    assert value(metrics, "cancelflow_cases_started_total") == 1.0
    # Round 2, or an endpoint that took nothing new, is no new case.
    await count(
        metrics, contracts.DELIVER_WEBHOOK, webhook(EventType.REQUESTED, 2, True), delivered("ep1")
    )
    await count(
        metrics, contracts.DELIVER_WEBHOOK, webhook(EventType.REQUESTED, 1, True), delivered()
    )
    assert value(metrics, "cancelflow_cases_started_total") == 1.0
    await count(
        metrics, contracts.DELIVER_WEBHOOK, webhook(EventType.REMINDER, 1, True), delivered("ep1")
    )
    assert value(metrics, "cancelflow_reminders_sent_total") == 1.0


async def test_a_merchant_with_email_and_webhooks_counts_once_by_its_email(
    metrics: BusinessMetrics,
) -> None:
    await count(
        metrics, contracts.DELIVER_WEBHOOK, webhook(EventType.REQUESTED, 1, False), delivered("ep1")
    )
    assert value(metrics, "cancelflow_cases_started_total") == 0.0
    request = merchant_email(contracts.MerchantEmailKind.REQUEST)
    await count(metrics, contracts.SEND_MERCHANT_REQUEST, request, sent())
    await count(metrics, contracts.SEND_MERCHANT_REQUEST, request, sent(already=True))
    assert value(metrics, "cancelflow_cases_started_total") == 1.0


async def test_customer_notices_count_by_channel_and_kind(metrics: BusinessMetrics) -> None:
    notice = contracts.CustomerNotificationInput(
        case_id="case-m",
        round=1,
        kind=contracts.CustomerNotificationKind.WITHDRAWN,
        customer_email="anna@example.com",
        locale="en",
        merchant_display_name="Acme",
        subscription_name="Acme Premium",
    )
    push = contracts.CustomerNotified(message_id="push-1", sent_at=NOW, channel="push")
    receipt = contracts.CustomerNotified(
        message_id="<m@x>", sent_at=NOW, channel="email", also=[push]
    )
    await count(metrics, contracts.NOTIFY_CUSTOMER, notice, receipt)
    again = receipt.model_copy(update={"already_sent": True, "also": []})
    await count(metrics, contracts.NOTIFY_CUSTOMER, notice, again)
    for channel in ("email", "push"):
        assert (
            value(
                metrics,
                "cancelflow_customer_notifications_total",
                channel=channel,
                kind="withdrawn",
            )
            == 1.0
        )
