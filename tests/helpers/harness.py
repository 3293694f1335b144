"""Test activities for workflow tests: they record what the workflow asked for, send nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import contracts as act
from domain.customer import CustomerIdentifiers, PostalAddress
from domain.merchant import Merchant
from domain.request import CancellationRequest, Subscription
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner


def make_merchant(**overrides: object) -> Merchant:
    data: dict[str, object] = {
        "merchant_id": "acme",
        "display_name": "Acme Streaming",
        "cancellation_emails": ["cancellations@acme.example"],
        "required_identifiers": ["email", "first_name", "last_name", "card_last4"],
        "locale": "en",
        "timezone": "Europe/Stockholm",
        "country": "SE",
    }
    data.update(overrides)
    return Merchant.model_validate(data)


def make_request(case_id: str | None = None, **overrides: object) -> CancellationRequest:
    data: dict[str, object] = {
        "case_id": case_id or f"case-{uuid.uuid4().hex[:10]}",
        "merchant_id": "acme",
        "subscription": Subscription(name="Acme Premium"),
        "locale": "sv",
        "customer": CustomerIdentifiers(
            email="anna.svensson@example.com",
            first_name="Anna",
            last_name="Svensson",
            postal_address=PostalAddress(
                street="Storgatan 1", postal_code="111 22", city="Stockholm", country="SE"
            ),
            card_last4="4242",
            extra={"customer_number": "C-778899"},
        ),
    }
    data.update(overrides)
    return CancellationRequest.model_validate(data)


@dataclass
class Sent:
    name: str
    input: object
    at: datetime


@dataclass
class RecordingActivities:
    """Stands in for the side effects so tests can assert what, when and how often."""

    merchants: dict[str, Merchant] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    fail_email_with: str | None = None

    def of(self, name: str) -> list[Sent]:
        return [s for s in self.sent if s.name == name]

    @property
    def case_id(self) -> str:
        """The one case these activities served (a test that needs it runs one case)."""
        [case_id] = {getattr(s.input, "case_id", None) for s in self.sent} - {None}
        return str(case_id)

    def _record(self, name: str, data: object) -> act.EmailSent:
        if self.fail_email_with:
            raise ApplicationError("rejected", type=self.fail_email_with, non_retryable=True)
        # Server time, which the time-skipping server moves: when the workflow asked for it.
        now = activity.info().current_attempt_scheduled_time
        self.sent.append(Sent(name, data, now))
        kind = getattr(data, "outbox_kind", None) or getattr(data, "kind", "x")
        return act.EmailSent(
            message_id=f"<{getattr(data, 'case_id', '?')}.{kind}.{len(self.sent)}@test>",
            sent_at=now,
        )

    def functions(self) -> list[object]:
        @activity.defn(name=act.LOAD_MERCHANT)
        async def load_merchant(data: act.LoadMerchantInput) -> Merchant:
            merchant = self.merchants.get(data.merchant_id)
            if merchant is None:
                raise ApplicationError(
                    f"no merchant '{data.merchant_id}'",
                    type=act.UNKNOWN_MERCHANT,
                    non_retryable=True,
                )
            return merchant

        def email_activity(name: str, input_type: type) -> object:
            async def run(data: input_type) -> act.EmailSent:  # type: ignore[valid-type]
                return self._record(name, data)

            run.__annotations__ = {"data": input_type, "return": act.EmailSent}
            return activity.defn(name=name)(run)

        return [
            load_merchant,
            email_activity(act.SEND_MERCHANT_REQUEST, act.MerchantEmailInput),
            email_activity(act.SEND_MERCHANT_REMINDER, act.MerchantEmailInput),
            email_activity(act.SEND_MERCHANT_WITHDRAWAL, act.MerchantEmailInput),
            email_activity(act.NOTIFY_CUSTOMER, act.CustomerNotificationInput),
            email_activity(act.NOTIFY_OPS, act.OpsNotificationInput),
        ]


@asynccontextmanager
async def running_worker(
    client: Client,
    activities: RecordingActivities,
    workflows: list[type] | None = None,
    task_queue: str | None = None,
    sticky: bool = True,
) -> AsyncIterator[str]:
    task_queue = task_queue or f"tq-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=workflows or [CancellationWorkflow],
        activities=activities.functions(),  # type: ignore[arg-type]
        workflow_runner=workflow_runner(),
        # Without a cache there is no sticky queue, so another worker can take over at once.
        max_cached_workflows=1000 if sticky else 0,
    ):
        yield task_queue


def d(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _years_ahead(scenario_year: int = 2027) -> int:
    """Whole 28-year cycles that put the scenario year at least a month ahead of today.

    The time-skipping server starts at the real time and only moves forward, so a scenario
    written for 2027 cannot start there once 2027 has come. 28 years later every date falls
    on the same weekday (until 2100), with the same daylight-saving days and the same
    weekend-observed holidays; Easter moves, so a scenario must keep clear of it.
    """
    years = 0
    while date(scenario_year + years, 1, 1) <= datetime.now(UTC).date() + timedelta(days=31):
        years += 28
    return years


YEARS_AHEAD = _years_ahead()


def at(text: str) -> datetime:
    """A scenario instant (UTC, written for 2027-2028), moved YEARS_AHEAD into the future."""
    instant = utc(text)
    return instant.replace(year=instant.year + YEARS_AHEAD)


def on(text: str) -> date:
    """A scenario date (written for 2027-2028), moved YEARS_AHEAD into the future."""
    day = d(text)
    return day.replace(year=day.year + YEARS_AHEAD)


MINUTE = timedelta(minutes=1)
"""How far either side of a deadline the timer tests move the clock."""


_ = workflow  # keep the import for type checkers of workflow helpers


async def advance_to(env: WorkflowEnvironment, instant: datetime) -> None:
    """Move the time-skipping server's clock forward to `instant`."""
    now = await env.get_current_time()
    if instant > now:
        await env.sleep(instant - now)
