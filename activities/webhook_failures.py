"""report_webhook_failure: a webhook delivery gave up after its retry window; tell ops.

The failure is recorded (the daily digest lists it) and ops get an email at once, sent
through the outbox like every other email, so a retried report sends it once.
"""

from __future__ import annotations

from urllib.parse import quote

import structlog
from temporalio import activity

from activities import contracts
from activities.config import EmailSettings
from activities.ops_mail import send_to_ops_once
from activities.smtp import SmtpSender
from domain.archive import CASE_WORKFLOW_ID_PREFIX
from domain.local_time import local_minute
from domain.reply_token import case_reference
from domain.text import visible
from storage.outbox import Outbox, OutboxEntry
from storage.webhooks import FailedDelivery, WebhookFailures

log = structlog.get_logger("cancelflow.webhooks")

OUTBOX_KIND = "ops-webhook-failed"


class WebhookFailureActivities:
    def __init__(
        self,
        failures: WebhookFailures,
        sender: SmtpSender,
        email: EmailSettings,
        outbox: Outbox,
    ) -> None:
        self._failures = failures
        self._sender = sender
        self._email = email
        self._outbox = outbox

    @activity.defn(name=contracts.REPORT_WEBHOOK_FAILURE)
    async def report_webhook_failure(
        self, input: contracts.WebhookFailureInput
    ) -> contracts.EmailSent:
        failure = FailedDelivery(
            event_id=input.event_id,
            merchant_id=input.merchant_id,
            event_type=input.event_type,
            case_id=input.case_id,
            started_at=input.started_at,
            gave_up_at=input.gave_up_at,
            last_error=input.last_error,
        )
        await self._failures.record(failure)
        message_id = f"<webhook-failed.{input.event_id}@{self._email.message_id_domain}>"
        subject = (
            f"Webhook not delivered: {input.event_type} for merchant {input.merchant_id} "
            f"(case {input.case_id})"
        )
        entry = OutboxEntry(
            case_id=input.case_id,
            round=1,
            kind=f"{OUTBOX_KIND}:{input.event_id}",
            message_id=message_id,
            recipient=self._email.ops_address,
            subject=subject,
        )

        async def text() -> str:
            return render_failure(failure, self._email.ops_case_link)

        sent = await send_to_ops_once(self._outbox, self._sender, self._email, entry, text)
        log.warning(
            "webhook.gave_up",
            event_id=input.event_id,
            merchant_id=input.merchant_id,
            event_type=input.event_type,
        )
        return sent


def render_failure(failure: FailedDelivery, case_link: str | None = None) -> str:
    # The error text is ours (status codes, endpoint ids); the ids are checked identifiers.
    workflow_id = quote(f"{CASE_WORKFLOW_ID_PREFIX}{failure.case_id}", safe="")
    link = [f"Open the case: {case_link.format(workflow_id=workflow_id)}"] if case_link else []
    return (
        "\n".join(
            [
                f"The webhook event {failure.event_id} ({failure.event_type}) could not be "
                "delivered",
                f"to merchant {failure.merchant_id}'s endpoints and is no longer retried.",
                "",
                f"Case:        {failure.case_id} ({case_reference(failure.case_id)})",
                *link,
                f"First tried: {local_minute(failure.started_at, 'UTC')}",
                f"Gave up:     {local_minute(failure.gave_up_at, 'UTC')}",
                f"Last error:  {visible(failure.last_error)}",
                "",
                "The merchant still has the case's email (if it takes email) and its reply link.",
                "Check the endpoint with `cancelflow merchants webhook list "
                f"{failure.merchant_id}` and `... webhook test ENDPOINT_ID`;",
                f"the delivery's history is workflow webhook-{failure.event_id} in the "
                "Temporal UI.",
            ]
        )
        + "\n"
    )
