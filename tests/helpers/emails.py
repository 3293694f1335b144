"""A complete cancellation request and its merchant, as the email activities' tests use, and
reading the emails they send (text, HTML, as a reader sees it)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage

from temporalio.testing import ActivityEnvironment

from activities import contracts
from domain.customer_outcome import CustomerOutcome
from domain.merchant import Merchant
from domain.request import CancellationRequest, merchant_view

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


CASE_ID = "case-0001"


def merchant_input(
    kind: contracts.MerchantEmailKind = contracts.MerchantEmailKind.REQUEST,
    locale: str = "en",
    required: list[str] | None = None,
    reminder_number: int | None = None,
) -> contracts.MerchantEmailInput:
    request = full_request(CASE_ID)
    configured = merchant(locale=locale, required=required)
    return contracts.MerchantEmailInput(
        case_id=CASE_ID,
        round=1,
        kind=kind,
        reminder_number=reminder_number,
        merchant=configured,
        subscription=request.subscription,
        identifiers=merchant_view(request, configured),
        requested_at=REQUESTED_AT,
    )


def customer_input(
    locale: str = "en",
    outcome: CustomerOutcome | None = None,
    kind: contracts.CustomerNotificationKind = contracts.CustomerNotificationKind.OUTCOME,
) -> contracts.CustomerNotificationInput:
    return contracts.CustomerNotificationInput(
        case_id=CASE_ID,
        round=1,
        kind=kind,
        customer_email=ALL_IDENTIFIER_VALUES["email"],
        customer_first_name=ALL_IDENTIFIER_VALUES["first_name"],
        locale=locale,
        merchant_display_name="Streamio AB",
        subscription_name="Streamio Premium",
        outcome=outcome,
    )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def visible_html(message: EmailMessage) -> str:
    """The HTML part as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_of(message)))


def everything_in(message: EmailMessage) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return "\n".join([headers, text_of(message), html_of(message)])


async def run(activity_fn: object, arg: object) -> contracts.EmailSent:
    result = await ActivityEnvironment().run(activity_fn, arg)  # type: ignore[arg-type]
    assert isinstance(result, contracts.EmailSent)
    return result
