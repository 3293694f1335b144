"""Business metrics: what cases do, in Prometheus terms.

Counters move when an activity has done the thing (a request that reached the merchant by
email or, for a webhook-only merchant, by webhook; a notice that reached the customer through
a channel), not when a retry found it already done: workflow code replays, so it must not
count. Gauges that describe a state of
the database (outbox emails waiting, the archive's lag) are read from it at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities import contracts
from cases.client import TemporalArchiveSource, case_state
from domain.webhooks import EventType
from storage.archive import ArchiveStore
from storage.archive_source import archive_lag

log = structlog.get_logger("cancelflow.metrics")

_HOUR = 3600.0
# Merchants answer in hours to weeks: buckets from an hour to a month.
ANSWER_BUCKETS = tuple(h * _HOUR for h in (1, 4, 8, 24, 48, 72, 120, 168, 336, 720))


class BusinessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.cases_started = Counter(
            "cancelflow_cases_started",
            "Cases whose first request reached the merchant (email, or webhook for "
            "webhook-only merchants)",
            registry=registry,
        )
        self.answers = Counter(
            "cancelflow_answers",
            "Merchant answers the customer was told about, by channel and outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.reminders_sent = Counter(
            "cancelflow_reminders_sent",
            "Reminders that reached merchants (by email, or by webhook for webhook-only ones)",
            registry=registry,
        )
        self.notifications = Counter(
            "cancelflow_customer_notifications",
            "Notices sent to customers, by channel (email, ...) and kind (outcome, ...)",
            ["channel", "kind"],
            registry=registry,
        )
        self.escalations_sent = Counter(
            "cancelflow_escalations_sent", "Escalations sent to ops", registry=registry
        )
        self.request_to_answer = Histogram(
            "cancelflow_request_to_answer_seconds",
            "Time from the request to the merchant's answer",
            buckets=ANSWER_BUCKETS,
            registry=registry,
        )
        self.outbox_emails = Gauge(
            "cancelflow_outbox_emails",
            "Outbox emails not yet sent: pending (recent) or failing (older than the limit)",
            ["state"],
            registry=registry,
        )
        self.archive_unarchived_runs = Gauge(
            "cancelflow_archive_unarchived_runs",
            "Closed case runs not yet in the archive",
            registry=registry,
        )
        self.archive_lag_seconds = Gauge(
            "cancelflow_archive_lag_seconds",
            "Age of the oldest closed run not yet archived (0 when none)",
            registry=registry,
        )
        self.case_list_lag_seconds = Gauge(
            "cancelflow_case_list_lag_seconds",
            "How far the merchants' open-case lists are behind the cases: seconds since the "
            "last completed sync's start (-1 before the first)",
            registry=registry,
        )


def outbox_refresh(
    metrics: BusinessMetrics, pool: asyncpg.Pool, failing_after_seconds: float
) -> Callable[[], Awaitable[None]]:
    async def refresh() -> None:
        row = await pool.fetchrow(
            """
            SELECT count(*) FILTER (WHERE created_at > now() - make_interval(secs => $1))
                       AS pending,
                   count(*) FILTER (WHERE created_at <= now() - make_interval(secs => $1))
                       AS failing
            FROM email_outbox WHERE status = 'sending'
            """,
            failing_after_seconds,
        )
        metrics.outbox_emails.labels(state="pending").set(row["pending"])
        metrics.outbox_emails.labels(state="failing").set(row["failing"])

    return refresh


def case_list_refresh(
    metrics: BusinessMetrics, pool: asyncpg.Pool
) -> Callable[[], Awaitable[None]]:
    async def refresh() -> None:
        lag = await pool.fetchval(
            "SELECT extract(epoch FROM clock_timestamp() - read_to)::float8 FROM case_list_sync"
        )
        metrics.case_list_lag_seconds.set(-1.0 if lag is None else max(lag, 0.0))

    return refresh


def archive_refresh(
    metrics: BusinessMetrics, client: Client, pool: asyncpg.Pool, every_seconds: float = 60.0
) -> Callable[[], Awaitable[None]]:
    """The archive lag lists Temporal visibility: measured at most once a minute."""
    source, store = TemporalArchiveSource(client), ArchiveStore(pool)
    last = 0.0

    async def refresh() -> None:
        nonlocal last
        if time.monotonic() - last < every_seconds:
            return
        lag = await archive_lag(source, store)
        last = time.monotonic()
        metrics.archive_unarchived_runs.set(lag.unarchived_runs)
        oldest = lag.oldest_unarchived_close_time
        age = (lag.measured_at - oldest).total_seconds() if oldest else 0.0
        metrics.archive_lag_seconds.set(max(age, 0.0))

    return refresh


class BusinessMetricsInterceptor(Interceptor):
    """Counts what activities did, once they did it."""

    def __init__(self, metrics: BusinessMetrics, client: Client) -> None:
        self.metrics = metrics
        self.client = client

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingActivity(next, self)


class _CountingActivity(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, owner: BusinessMetricsInterceptor) -> None:
        super().__init__(next)
        self._owner = owner

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        try:
            await self._count(activity.info().activity_type, input.args, result)
        except Exception as err:  # noqa: BLE001 - a metric must never fail a case's activity
            log.warning("metrics.count_failed", error=f"{type(err).__name__}: {err}")
        return result

    async def _count(self, activity_type: str, args: Any, result: Any) -> None:
        """What happened, read from the activity's input and whether it newly did it: a
        retry that found its email sent or its event delivered counts nothing."""
        if not args:
            return
        arg, metrics = args[0], self._owner.metrics
        if isinstance(result, contracts.WebhookDelivered):
            if not result.delivered_to or not arg.required:
                return
            # A webhook-only merchant (required): the event is how the request reaches it.
            data = arg.event.data
            if arg.event.type is EventType.REQUESTED and data.round == 1:
                metrics.cases_started.inc()
            elif arg.event.type is EventType.REMINDER:
                metrics.reminders_sent.inc()
            return
        if not isinstance(result, contracts.EmailSent) or result.already_sent:
            return
        if activity_type == contracts.SEND_MERCHANT_REQUEST and arg.round == 1:
            metrics.cases_started.inc()
        elif activity_type == contracts.SEND_MERCHANT_REMINDER:
            metrics.reminders_sent.inc()
        elif (
            activity_type == contracts.NOTIFY_OPS
            and arg.kind == contracts.OpsNotificationKind.ESCALATION
        ):
            metrics.escalations_sent.inc()
        elif activity_type == contracts.NOTIFY_CUSTOMER:
            await self._count_notification(arg, result)

    async def _count_notification(
        self, notice: contracts.CustomerNotificationInput, receipt: contracts.EmailSent
    ) -> None:
        metrics = self._owner.metrics
        receipts = [receipt]
        if isinstance(receipt, contracts.CustomerNotified):
            receipts += receipt.also
        for sent in receipts:
            if not sent.already_sent:
                channel = sent.channel if isinstance(sent, contracts.CustomerNotified) else "email"
                metrics.notifications.labels(channel=channel, kind=notice.kind.value).inc()
        if notice.kind != contracts.CustomerNotificationKind.OUTCOME:
            return
        # The answer's channel and time live in the case, not in the notification.
        state = await case_state(self._owner.client, notice.case_id)
        if state.answer is None:
            return
        metrics.answers.labels(
            channel=state.answer.channel.value, outcome=state.answer.outcome.value
        ).inc()
        if state.answered_at is not None:
            waited = (state.answered_at - state.requested_at).total_seconds()
            metrics.request_to_answer.observe(max(waited, 0.0))
