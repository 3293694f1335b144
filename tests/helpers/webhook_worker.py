"""The worker the webhook case tests run: the real case and delivery workflows, the real
activities, merchant emails to the test's mail sink."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from activities.merchants import MerchantActivities
from activities.webhooks import WebhookActivities
from domain.reply_token import ReplyTokenSigner
from storage.merchants import MerchantDirectory
from storage.outbox import Outbox
from tests.helpers.webhooks import PORTAL_BASE_URL
from workers.mail_sink import MailSink
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner
from workflows.webhooks import WebhookDeliveryWorkflow


def sink_smtp(mail_sink: MailSink) -> SmtpSettings:
    return SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=10)


@asynccontextmanager
async def webhook_case_worker(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
    signer: ReplyTokenSigner,
    webhook_activities: WebhookActivities,
    queue_prefix: str,
    more_activities: Sequence[Callable[..., object]] = (),
) -> AsyncIterator[str]:
    """Runs the worker on a task queue of its own, whose name it yields."""
    email = EmailActivities(
        smtp=sink_smtp(mail_sink),
        email=EmailSettings(),
        links=signer,
        portal_base_url=PORTAL_BASE_URL,
        outbox=Outbox(pool),
    )
    queue = f"{queue_prefix}-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[CancellationWorkflow, WebhookDeliveryWorkflow],
        activities=[
            MerchantActivities(MerchantDirectory(pool)).load_merchant,
            *email.activities(),
            webhook_activities.deliver_webhook,
            *more_activities,
        ],
        workflow_runner=workflow_runner(),
    ):
        yield queue
