"""What a worker runs: the workflows and the activity objects, built from Settings.

Adding a workflow is one line in WORKFLOWS; adding an activity object is one line in
build_activities. The worker, `cancelflow dev` and the integration tests all use this.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
from temporalio.client import Client

from activities.archiving import ArchivingActivities
from activities.bulk_answers import BulkAnswerActivities
from activities.digest import DigestActivities
from activities.email import EmailActivities
from activities.merchants import MerchantActivities
from activities.notifications import CustomerChannel
from activities.smtp import SmtpSender
from activities.webhook_failures import WebhookFailureActivities
from activities.webhooks import WebhookActivities
from cases.bulk_answers import answer_in_bulk
from cases.client import TemporalArchiveSource, open_cases
from domain.reply_token import ReplyTokenSigner
from inbound.store import InboundMailStore
from integrations.webhooks import WebhookSender
from storage.archive import ArchiveStore
from storage.archive_source import archive_lag
from storage.bulk_answers import BulkAnswerBatches
from storage.merchants import MerchantDirectory
from storage.outbox import Outbox
from storage.webhooks import SecretBox, WebhookDeliveries, WebhookEndpoints, WebhookFailures
from workers.erasure import erasure_activities
from workers.mail_gateway_service import reply_addresses
from workers.settings import Settings
from workers.sign_in_mail import SmtpSignInMailer
from workflows.archiving import ArchivingWorkflow
from workflows.bulk_answers import BulkAnswersWorkflow
from workflows.cancellation import CancellationWorkflow
from workflows.erasure import ErasureWorkflow
from workflows.ops_digest import OpsDigestWorkflow
from workflows.retention import RetentionWorkflow
from workflows.webhooks import WebhookDeliveryWorkflow

if TYPE_CHECKING:
    from portal.merchant_settings.deps import MerchantSettingsConfig

WORKFLOWS: list[type] = [
    CancellationWorkflow,
    OpsDigestWorkflow,
    ArchivingWorkflow,
    WebhookDeliveryWorkflow,
    ErasureWorkflow,
    RetentionWorkflow,
    BulkAnswersWorkflow,
]


def reply_token_signer(settings: Settings) -> ReplyTokenSigner:
    return ReplyTokenSigner(
        settings.portal.secret_key.get_secret_value(),
        valid_for=timedelta(days=settings.portal.link_valid_days),
    )


def build_activities(
    settings: Settings, pool: asyncpg.Pool, client: Client | None = None
) -> list[Callable[..., Any]]:
    """Every activity the workflows call, bound to their dependencies.

    The ops digest reads Temporal visibility, so its activities need the client; without
    one (some tests) they are left out.
    """
    merchants = MerchantActivities(MerchantDirectory(pool))
    # One connection pool for every email the worker sends: its limit is per sender.
    sender = SmtpSender(settings.smtp)
    email = EmailActivities(
        smtp=settings.smtp,
        email=settings.email,
        links=reply_token_signer(settings),
        portal_base_url=settings.portal.base_url,
        outbox=Outbox(pool),
        reply_addresses=reply_addresses(settings, pool),
        sender=sender,
    )
    # How the customer is told, email first (the case keeps its receipt): an SMS or an app
    # push is one more entry here (activities/notifications.py).
    customer_channels: list[CustomerChannel] = [email]
    activities: list[Callable[..., Any]] = [
        merchants.load_merchant,
        *email.activities(customer_channels),
        webhook_activities(settings, pool).deliver_webhook,
        WebhookFailureActivities(
            WebhookFailures(pool), sender, settings.email, Outbox(pool)
        ).report_webhook_failure,
    ]
    if client is not None:
        archive, source = ArchiveStore(pool), TemporalArchiveSource(client)
        digest = DigestActivities(
            partial(open_cases, client),
            sender,
            settings.email,
            Outbox(pool),
            archive_lag=lambda: archive_lag(source, archive),
            failed_webhooks=WebhookFailures(pool).between,
            triage_suggestions=InboundMailStore(pool).latest_suggestion,
        )
        activities += [digest.collect_open_cases, digest.send_ops_digest]
        archiving = ArchivingActivities(source, archive, settings.archive)
        activities += archiving.activities()
        activities += erasure_activities(settings, pool, client).activities()
        activities += bulk_answer_activities(settings, pool, client).activities()
    return activities


def bulk_answer_activities(
    settings: Settings, pool: asyncpg.Pool, client: Client
) -> BulkAnswerActivities:
    return BulkAnswerActivities(
        BulkAnswerBatches(pool),
        partial(answer_in_bulk, client),
        MerchantDirectory(pool),
        webhook_endpoints(settings, pool),
        WebhookDeliveries(pool),
        WebhookSender(settings.webhooks),
    )


def webhook_endpoints(settings: Settings, pool: asyncpg.Pool) -> WebhookEndpoints:
    return WebhookEndpoints(pool, SecretBox(settings.webhooks.secrets_key.get_secret_value()))


def webhook_activities(settings: Settings, pool: asyncpg.Pool) -> WebhookActivities:
    return WebhookActivities(
        endpoints=webhook_endpoints(settings, pool),
        deliveries=WebhookDeliveries(pool),
        sender=WebhookSender(settings.webhooks),
        links=reply_token_signer(settings),
        portal_base_url=settings.portal.base_url,
    )


def merchant_settings_config(settings: Settings) -> MerchantSettingsConfig | None:
    """The portal's self-service settings: webhook secrets key and the sign-in mailer; None
    (no settings pages) without an SMTP relay to send sign-in links through."""
    from portal.merchant_settings.deps import MerchantSettingsConfig

    if not settings.smtp.host:
        return None
    return MerchantSettingsConfig(
        webhooks=settings.webhooks,
        mailer=SmtpSignInMailer(SmtpSender(settings.smtp), settings.email),
    )


def portal_from_settings(
    settings: Settings, client: Client, pool: asyncpg.Pool
) -> AbstractAsyncContextManager[str]:
    """The portal as `cancelflow portal` and `cancelflow dev` serve it, until the block ends;
    yields its base URL."""
    # Imported here: the worker and the benchmark's workers import this module, and the portal
    # app (FastAPI, templates) has no place in their memory (tests/workers/test_worker_modules.py).
    from portal.service import running_portal

    return running_portal(
        settings.portal,
        client,
        pool,
        settings.temporal.task_queue,
        support_address=settings.email.support_address,
        merchant_settings=merchant_settings_config(settings),
    )
