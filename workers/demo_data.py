"""The demo data of `cancelflow dev`: a merchant, an API key for it, a ready-to-start request."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from domain.merchant import Merchant
from portal.service import ensure_demo_api_key
from storage.merchants import MerchantDirectory

DEMO_MERCHANT = Merchant(
    merchant_id="demo-streaming",
    display_name="Streamflix",
    cancellation_emails=["cancellations@streamflix.example"],
    required_identifiers=["email", "first_name", "last_name", "card_last4"],
    locale="sv",
    timezone="Europe/Stockholm",
    country="SE",
)


async def seed_demo_merchant(pool: asyncpg.Pool) -> bool:
    """Add the demo merchant unless it exists (a person's edits to it are kept)."""
    directory = MerchantDirectory(pool)
    if await directory.get(DEMO_MERCHANT.merchant_id) is not None:
        return False
    await directory.upsert(DEMO_MERCHANT)
    return True


async def demo_api_key_line(pool: asyncpg.Pool) -> str:
    """The demo merchant's API key as printed by `cancelflow dev`: shown on its first start only."""
    key = await ensure_demo_api_key(pool, DEMO_MERCHANT.merchant_id)
    if key:
        return f"{key} (shown once; keep it)"
    return (
        "made on the first start (new one: cancelflow merchants key create "
        f"{DEMO_MERCHANT.merchant_id})"
    )


def write_demo_request(var_dir: Path, now: datetime | None = None) -> tuple[Path, str]:
    """A ready-to-start request for the demo merchant, with a fresh case id each time."""
    now = now or datetime.now(UTC)
    case_id = f"demo-{now:%Y%m%d-%H%M%S}"
    path = var_dir / "demo-request.json"
    request = {
        "case_id": case_id,
        "merchant_id": DEMO_MERCHANT.merchant_id,
        "subscription": {"name": "Streamflix Premium", "account_reference": "SF-100234"},
        "locale": "sv",
        "customer": {
            "email": "anna.svensson@example.com",
            "first_name": "Anna",
            "last_name": "Svensson",
            "card_last4": "4242",
            "postal_address": {
                "street": "Storgatan 1",
                "postal_code": "111 22",
                "city": "Stockholm",
                "country": "SE",
            },
        },
    }
    path.write_text(json.dumps(request, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path, case_id
