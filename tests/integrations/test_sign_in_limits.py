"""Sign-in links are rate-limited per contact address and per merchant, in PostgreSQL (so
several portal processes share the count), behind the same neutral page as always."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import asyncpg
import httpx

from storage.db import create_pool
from storage.merchant_sessions import MerchantSessions, SignInLimits
from tests.integrations.portal_stack import SettingsStack

LIMITS = SignInLimits()


def neutral(html: str) -> str:
    """The page without the echoed address and the per-response form token."""
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r"[\w.+-]+@[\w.-]+", "ADDRESS", html)


async def test_sign_in_emails_are_limited_per_address_and_per_merchant_behind_one_page(
    stack: SettingsStack,
) -> None:
    contacts = ["desk@a.example", "billing@a.example", "boss@a.example"]
    merchant = await stack.add_merchant(cancellation_emails=contacts)
    pages: list[httpx.Response] = []
    async with httpx.AsyncClient(
        base_url=stack.base_url, timeout=20, headers=stack.own_origin
    ) as http:

        async def ask(address: str) -> None:
            pages.append(
                await http.post(
                    "/merchant/sign-in",
                    data={"merchant_id": merchant.merchant_id, "email": address},
                )
            )

        for _ in range(LIMITS.per_address + 2):
            await ask(contacts[0])
        # The 6th and 7th request for the first address sent nothing.
        await stack.sign_in_link(contacts[0], count=LIMITS.per_address)
        for _ in range(LIMITS.per_address):
            await ask(contacts[1])
        await stack.sign_in_link(contacts[1], count=LIMITS.per_address)
        # The merchant's 10 links an hour are used up: its third address gets none either.
        await ask(contacts[2])
        await ask("stranger@a.example")  # not a contact: never sent anything

    # Every answer is the same page, sent or not, registered or not.
    assert {p.status_code for p in pages} == {200}
    assert len({neutral(p.text) for p in pages}) == 1
    assert "Check your email" in pages[-1].text
    # The third contact's request came after all the sent ones were delivered (awaited above).
    assert len(stack.mail_to(contacts[0])) == LIMITS.per_address
    assert len(stack.mail_to(contacts[1])) == LIMITS.per_address
    assert stack.mail_to(contacts[2]) == [] and stack.mail_to("stranger@a.example") == []

    # An hour later the address may ask again.
    await stack.pool.execute(
        "UPDATE merchant_sign_in_links SET created_at = created_at - interval '61 minutes' "
        "WHERE merchant_id = $1",
        merchant.merchant_id,
    )
    async with httpx.AsyncClient(
        base_url=stack.base_url, timeout=20, headers=stack.own_origin
    ) as http:
        await http.post(
            "/merchant/sign-in", data={"merchant_id": merchant.merchant_id, "email": contacts[2]}
        )
    await stack.sign_in_link(contacts[2])


async def test_portal_processes_racing_share_one_limit(
    stack: SettingsStack, database_url: str
) -> None:
    merchant = await stack.add_merchant()
    address = str(merchant.cancellation_emails[0])
    # Two pools stand for two portal processes, each with its own connections.
    other: asyncpg.Pool = await create_pool(database_url)
    try:
        sessions = [MerchantSessions(stack.pool), MerchantSessions(other)]
        tokens = await asyncio.gather(
            *(
                sessions[i % 2].issue_link_within(LIMITS, merchant.merchant_id, address)
                for i in range(20)
            )
        )
    finally:
        await other.close()
    issued = [t for t in tokens if t is not None]
    assert len(issued) == LIMITS.per_address
    # Each issued link works; the refused ones were never stored.
    assert (
        await stack.pool.fetchval(
            "SELECT count(*) FROM merchant_sign_in_links WHERE merchant_id = $1",
            merchant.merchant_id,
        )
        == LIMITS.per_address
    )
    assert (await MerchantSessions(stack.pool).check_link(issued[0])).email == address
    assert LIMITS.window == timedelta(hours=1)
