"""Fixtures for the activities: a migrated database, merchants and requests, email activities
wired to the real mail sink."""

from __future__ import annotations

import asyncpg
import pytest

from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from domain.reply_token import ReplyTokenSigner
from storage.outbox import Outbox
from tests.helpers.emails import (
    PORTAL_BASE_URL,
)
from workers.mail_sink import MailSink


@pytest.fixture
def signer() -> ReplyTokenSigner:
    return ReplyTokenSigner("a-test-secret-of-enough-length")


@pytest.fixture
def email_settings() -> EmailSettings:
    return EmailSettings(
        from_address="Minna <cancellations@cancelflow.test>",
        ops_address="ops@cancelflow.test",
        message_id_domain="cancelflow.test",
        reply_domain="reply.cancelflow.test",
        support_address="support@cancelflow.test",
    )


@pytest.fixture
def outbox(pool: asyncpg.Pool) -> Outbox:
    return Outbox(pool)


@pytest.fixture
def email_activities(
    mail_sink: MailSink, email_settings: EmailSettings, signer: ReplyTokenSigner, outbox: Outbox
) -> EmailActivities:
    return EmailActivities(
        smtp=SmtpSettings(host=mail_sink.host, port=mail_sink.port, timeout_seconds=10),
        email=email_settings,
        links=signer,
        portal_base_url=PORTAL_BASE_URL,
        outbox=outbox,
    )
