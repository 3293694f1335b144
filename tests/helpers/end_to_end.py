"""The end-to-end case: its merchant, request and an in-process worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

from temporalio.client import Client

from domain.merchant import Merchant
from domain.request import CancellationRequest
from workers.database import database_pool
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities
from workers.worker import build_worker

MERCHANT = Merchant(
    merchant_id="nordic-gym",
    display_name="Nordic Gym",
    cancellation_emails=["cancel@nordicgym.example"],
    # A subset of what the customer gives, in the merchant's own order, with an extra one.
    required_identifiers=["email", "card_last4", "customer_number"],
    locale="en",
)


CUSTOMER_EMAIL = "member-88@example.org"


def request(case_id: str) -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": MERCHANT.merchant_id,
            "subscription": {"name": "Gold membership"},
            "locale": "en",
            "customer": {
                "email": CUSTOMER_EMAIL,
                "first_name": "Ingrid",
                "last_name": "Kvarnström",
                "postal_address": {
                    "street": "Hantverkargatan 7",
                    "postal_code": "112 21",
                    "city": "Stockholm",
                    "country": "SE",
                },
                "card_last4": "7319",
                "extra": {"customer_number": "CN-448812", "phone": "+46701234567"},
            },
        }
    )


def mails_to(sink: MailSink, address: str) -> list[EmailMessage]:
    return [m for m in sink.messages if address in str(m.get("To", ""))]


@asynccontextmanager
async def in_process_worker(client: Client, settings: Settings) -> AsyncIterator[None]:
    assert settings.database_url
    async with database_pool(settings.database_url) as pool:
        async with build_worker(client, settings, build_activities(settings, pool)):
            yield
