"""Merchants with webhooks and the settings their tests share."""

from __future__ import annotations

from domain.merchant import Merchant
from domain.request import CancellationRequest, IdentifierLine, Subscription
from domain.webhooks import (
    CaseEventData,
    EventType,
    WebhookEvent,
    event_id_for,
)
from tests.helpers.emails import PORTAL_BASE_URL as PORTAL_BASE_URL  # one of each for both
from tests.helpers.emails import REQUESTED_AT as REQUESTED_AT

SECRETS_KEY = "test-webhook-secrets-key"


def webhook_merchant(notify_by: str = "email_and_webhook", **extra: object) -> Merchant:
    return Merchant.model_validate(
        {
            "merchant_id": "hooked",
            "display_name": "Hooked AB",
            "cancellation_emails": ["cancellations@hooked.example"],
            "required_identifiers": ["email", "last_name"],
            "locale": "en",
            "notify_by": notify_by,
            **extra,
        }
    )


# Nothing listens here: every attempt fails at once with a refused connection.
DOWN_ENDPOINT = "https://127.0.0.1:9/down"


def requested_event(case_id: str = "hook-1") -> WebhookEvent:
    return WebhookEvent(
        id=event_id_for(case_id, EventType.REQUESTED, 1),
        type=EventType.REQUESTED,
        timestamp=REQUESTED_AT,
        data=CaseEventData(
            case_id=case_id,
            reference="REF",
            merchant_id="hooked",
            round=1,
            subscription=Subscription(name="Hooked Plus"),
            requested_at=REQUESTED_AT,
            identifiers=[IdentifierLine(name="last_name", value="Lindqvist")],
        ),
    )


def hooked_request(case_id: str) -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": "hooked",
            "subscription": {"name": "Hooked Plus"},
            "locale": "en",
            "customer": {
                "email": "vera.holm@example.org",
                "first_name": "Vera",
                "last_name": "Holm",
                "card_last4": "1881",
            },
        }
    )
