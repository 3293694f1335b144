"""Fixtures for the activities: a migrated database, merchants and requests, email activities
wired to the real mail sink."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from domain.request import CancellationRequest
from storage.outbox import Outbox
from workers.mail_sink import MailSink

PORTAL_BASE_URL = "https://portal.cancelflow.test"
# 10:30 in Stockholm on 3 March 2026 (winter time, UTC+1).
REQUESTED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)

# Every identifier the domain knows, each with a value that appears nowhere else.
ALL_IDENTIFIER_VALUES = {
    "email": "astrid.lindqvist@example.org",
    "first_name": "Astrid",
    "last_name": "Lindqvist",
    "postal_address": "Storgatan 12, 11455 Stockholm, SE",
    "card_last4": "4242",
    "customer_number": "CN-998877",
    "phone": "+46701234567",
}


def full_request(case_id: str = "case-0001", locale: str = "en") -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": "streamio",
            "subscription": {"name": "Streamio Premium", "account_reference": "ACC-42"},
            "locale": locale,
            "customer": {
                "email": ALL_IDENTIFIER_VALUES["email"],
                "first_name": ALL_IDENTIFIER_VALUES["first_name"],
                "last_name": ALL_IDENTIFIER_VALUES["last_name"],
                "postal_address": {
                    "street": "Storgatan 12",
                    "postal_code": "11455",
                    "city": "Stockholm",
                    "country": "SE",
                },
                "card_last4": ALL_IDENTIFIER_VALUES["card_last4"],
                "extra": {
                    "customer_number": ALL_IDENTIFIER_VALUES["customer_number"],
                    "phone": ALL_IDENTIFIER_VALUES["phone"],
                },
            },
            "requested_at": REQUESTED_AT.isoformat(),
        }
    )


def merchant(
    locale: str = "en",
    required: list[str] | None = None,
    emails: list[str] | None = None,
    merchant_id: str = "streamio",
) -> Merchant:
    return Merchant.model_validate(
        {
            "merchant_id": merchant_id,
            "display_name": "Streamio AB",
            "cancellation_emails": emails or ["cancellations@streamio.example"],
            "required_identifiers": required or ["last_name", "card_last4", "customer_number"],
            "locale": locale,
            "timezone": "Europe/Stockholm",
        }
    )


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
