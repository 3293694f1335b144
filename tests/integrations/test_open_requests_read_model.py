"""The signed-in Open requests page and its CSV come from the PostgreSQL read model, which lags
its cases by a sync tick: a case that closed meanwhile is not shown as open, and the page
still answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from cases.client import withdraw_case
from domain.actions import WithdrawalRequest
from domain.case import OPEN_STATUSES, CaseStatus
from domain.reply_token import case_reference
from storage.case_list import CaseList
from tests.eventually import eventually
from tests.helpers.cases import until_status
from tests.helpers.settings_portal import merchant_with_link
from tests.integrations.portal_stack import SettingsStack


@asynccontextmanager
async def holding(case_list: CaseList) -> AsyncIterator[None]:
    """The sync's lock, taken between two of the stack's own ticks."""
    for _ in range(200):
        async with case_list.syncing() as sync:
            if sync is not None:
                yield
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the stack's sync held its lock for 10 s")


async def test_a_case_closed_since_the_last_sync_is_not_an_open_request(
    stack: SettingsStack,
) -> None:
    merchant, token = await merchant_with_link(stack)
    kept, closed = (f"lag-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for case_id in (kept, closed):
        await stack.start(merchant, case_id)
    case_list = CaseList(stack.pool)

    async def both_listed() -> bool:
        cases = await case_list.open_cases(merchant.merchant_id, OPEN_STATUSES)
        return {c.case_id: c.status for c in cases} == {kept: "awaiting", closed: "awaiting"}

    await eventually(both_listed, what="both cases in the merchant's list")
    [stale] = [
        c
        for c in await case_list.open_cases(merchant.merchant_id, OPEN_STATUSES)
        if c.case_id == closed
    ]

    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.own_origin) as http:
        await http.post(f"/merchant/sign-in/{token}")
        await withdraw_case(stack.client, closed, WithdrawalRequest(reason="changed my mind"))
        await until_status(stack.client, closed, CaseStatus.WITHDRAWN)
        # Hold the sync, and put the closed case back as a tick that read it just before it
        # closed would have left it.
        async with holding(case_list):
            await stack.pool.execute(
                "INSERT INTO case_list (case_id, workflow_id, merchant_id, status, round, "
                "escalated, requested_at, started_at) VALUES ($1, $2, $3, 'awaiting', 1, false, "
                "$4, $5) ON CONFLICT (case_id) DO UPDATE SET status = 'awaiting'",
                stale.case_id,
                stale.workflow_id,
                merchant.merchant_id,
                stale.requested_at,
                stale.started_at,
            )
            page = await http.get("/merchant/settings/requests")
            sheet = await http.get("/merchant/settings/requests.csv")

    assert page.status_code == 200, page.text[:300]
    assert case_reference(kept) in page.text
    assert case_reference(closed) not in page.text
    assert sheet.status_code == 200
    assert kept in sheet.text and closed not in sheet.text
