"""The portal tests' stack (tests/portal/conftest.py starts it) and its request bodies."""

from __future__ import annotations

import email.policy
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from temporalio.client import Client

from cases.client import CaseNotFound, case_state
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from storage.api_keys import ApiKeyStore
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from workers.mail_sink import MailSink
from workers.settings import Settings

INTERNAL_KEY = "test-internal-key-0123456789"


def merchant_data(merchant_id: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "merchant_id": merchant_id,
        "display_name": f"Streamio {merchant_id[-4:]}",
        "cancellation_emails": [f"cancel@{merchant_id}.example"],
        "required_identifiers": ["email", "first_name", "last_name", "customer_number"],
        "locale": "en",
        "timezone": "Europe/Stockholm",
    }
    data.update(overrides)
    return data


def request_body(case_id: str, merchant_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_id": case_id,
        "merchant_id": merchant_id,
        "subscription": {"name": "Streamio Premium", "account_reference": "ACC-42"},
        "locale": "en",
        "customer": {
            "email": "astrid.lindqvist@example.org",
            "first_name": "Astrid",
            "last_name": "Lindqvist",
            "postal_address": {
                "street": "Hemligvägen 7",
                "postal_code": "11455",
                "city": "Stockholm",
                "country": "SE",
            },
            "card_last4": "9876",
            "extra": {"customer_number": "CN-998877"},
        },
    }
    body.update(overrides)
    return body


@dataclass
class PortalStack:
    base_url: str
    database_url: str
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    sink: MailSink
    signer: ReplyTokenSigner
    http: httpx.AsyncClient

    @property
    def internal_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {INTERNAL_KEY}"}

    async def add_merchant(self, **overrides: Any) -> Merchant:
        merchant_id = overrides.pop("merchant_id", f"m-{uuid.uuid4().hex[:10]}")
        merchant = Merchant.model_validate(merchant_data(merchant_id, **overrides))
        await MerchantDirectory(self.pool).upsert(merchant)
        return merchant

    async def api_key(self, merchant_id: str) -> dict[str, str]:
        created = await ApiKeyStore(self.pool).create(merchant_id, "tests")
        return {"Authorization": f"Bearer {created.key}"}

    async def start(self, merchant: Merchant, **overrides: Any) -> str:
        """A case through the intake API, waiting until its merchant email was sent."""
        case_id = str(overrides.pop("case_id", f"c-{uuid.uuid4().hex[:12]}"))
        response = await self.http.post(
            "/api/v1/cases",
            json=request_body(case_id, merchant.merchant_id, **overrides),
            headers=self.internal_headers,
        )
        assert response.status_code == 201, response.text
        await self.wait_for_status(case_id, {CaseStatus.AWAITING})
        return case_id

    async def state(self, case_id: str) -> CaseState:
        return await case_state(self.client, case_id)

    async def wait_for_status(self, case_id: str, statuses: set[CaseStatus]) -> CaseState:
        async def probe() -> CaseState | None:
            try:
                state = await self.state(case_id)
            except CaseNotFound:
                return None
            return state if state.status in statuses else None

        return await eventually(probe, what=f"case {case_id} to reach {statuses}")

    async def wait_until_customer_notified(self, case_id: str) -> CaseState:
        async def probe() -> CaseState | None:
            state = await self.state(case_id)
            return state if state.customer_notified_at is not None else None

        return await eventually(
            probe, what=f"the customer of case {case_id} to be told the outcome"
        )

    def emails_to(self, address: str, case_id: str | None = None) -> list[EmailMessage]:
        return [
            m
            for m in self.sink.messages
            if address in str(m.get("To", ""))
            and (case_id is None or f"<{case_id}." in str(m.get("Message-ID", "")))
        ]

    async def reply_link_from_email(self, merchant: Merchant) -> str:
        """The portal link in the merchant's cancellation email, as the merchant would click it."""
        return (await self.reply_links_from_email(merchant, count=1))[0]

    async def reply_links_from_email(self, merchant: Merchant, count: int) -> list[str]:
        """The portal links of the first `count` emails to the merchant, oldest first."""
        address = str(merchant.cancellation_emails[0])

        async def probe() -> list[str] | None:
            links: list[str] = []
            for message in self.emails_to(address):
                body = message.get_body(preferencelist=("plain",))
                text = body.get_content() if body is not None else ""
                found = re.search(re.escape(self.base_url) + r"/r/[A-Za-z0-9_-]+", text)
                if found:
                    links.append(found.group(0))
            return links[:count] if len(links) >= count else None

        return await eventually(probe, what=f"{count} cancellation email(s) to {address}")

    def link_for(self, case_id: str, merchant_id: str, state: CaseState) -> str:
        token = self.signer.issue(
            case_id, merchant_id, state.round, self.signer.expiry_for(state.requested_at)
        )
        return f"{self.base_url}/r/{token}"


def parse_email(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def stockholm_today() -> date:
    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


def _in(days: int) -> str:
    return (stockholm_today() + timedelta(days=days)).isoformat()


# Each of the five outcomes as an API body, with what the customer is then told.
FIVE_ANSWERS: list[tuple[dict[str, Any], str]] = [
    ({"outcome": "has_now_been_cancelled", "access_until": _in(20)}, "cancelled"),
    ({"outcome": "was_already_cancelled", "cancelled_on": _in(-12)}, "already_cancelled"),
    ({"outcome": "binding_contract", "contract_ends_on": _in(200)}, "binding_contract"),
    ({"outcome": "no_subscription_found"}, "not_found"),
    (
        {"outcome": "other_reason", "message": "  Customer owes us money; call us.  "},
        "not_cancelled",
    ),
]


def answer_url(case_id: str) -> str:
    return f"/api/v1/merchant/cases/{case_id}/answer"
