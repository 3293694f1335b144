"""The merchant settings in a real browser (Debian's Chromium, JavaScript off): sign in with the
emailed link, change an identifier, add a webhook and test it, in Swedish."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from cases.client import case_state
from domain.case import CaseStatus
from domain.reply_token import case_reference
from domain.wording import MONTHS, format_date
from storage.merchant_changes import MerchantChanges
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.browser import new_page
from tests.integrations.portal_stack import SettingsStack


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async with new_page(browser, java_script_enabled=False) as opened:
        yield opened


async def test_sign_in_and_change_settings_in_the_browser(
    stack: SettingsStack, page: Page, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant(locale="sv")
    address = str(merchant.cancellation_emails[0])

    await page.goto(f"{stack.base_url}/merchant/sign-in?lang=sv")
    await page.get_by_label("Kontaktadress").fill(address)
    await page.get_by_role("button", name="Mejla mig en inloggningslänk").click()
    await expect(page.get_by_role("heading", name="Kontrollera din e-post")).to_be_visible()

    await page.goto(await stack.sign_in_link(address))
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Handlarinställningar")

    await page.get_by_label("Andra uppgifter ni behöver").fill("customer_number")
    await page.get_by_role("button", name="Spara").click()
    await expect(page.get_by_test_id("saved")).to_have_text("Dina ändringar sparades.")
    saved = await MerchantDirectory(stack.pool).get(merchant.merchant_id)
    assert saved is not None and saved.required_identifiers[-1] == "customer_number"

    await page.get_by_label("Adress (https://…)").fill(stack.receiver.url + "/second")
    await page.get_by_role("button", name="Lägg till adress").click()
    await expect(page.get_by_test_id("new-secret")).to_contain_text("whsec_")
    await page.get_by_role("button", name="Skicka testhändelse").first.click()
    await expect(page.get_by_test_id("test-result")).to_have_text("Adressen svarade HTTP 204.")
    assert stack.receiver.received[-1].headers["webhook-id"].startswith("evt_test_")
    # The secret is shown once: the next page does not have it.
    await page.goto(f"{stack.base_url}/merchant/settings")
    await expect(page.get_by_test_id("new-secret")).to_have_count(0)
    await page.screenshot(path=str(artifacts_dir / "merchant-settings-sv.png"), full_page=True)

    whats = [c.what for c in await MerchantChanges(stack.pool).list(merchant.merchant_id)]
    assert whats == ["webhook.added", "settings.changed"]


async def test_the_open_requests_show_age_next_step_and_a_working_reply_link(
    stack: SettingsStack, page: Page
) -> None:
    # A zone whose calendar day differs from UTC's at the hour the test runs, so a date
    # shown in UTC would be seen.
    far = "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"
    merchant = await stack.add_merchant(locale="sv", timezone=far)
    address = str(merchant.cancellation_emails[0])
    case_id = f"open-{uuid.uuid4().hex[:8]}"
    await stack.start(merchant, case_id)

    async def awaiting() -> bool:
        return (await case_state(stack.client, case_id)).status is CaseStatus.AWAITING

    await eventually(awaiting, what="the case to await the merchant's answer")
    await stack.until_listed(merchant, [case_id])
    state = await case_state(stack.client, case_id)
    assert state.next_action_at is not None

    await page.goto(f"{stack.base_url}/merchant/sign-in?lang=sv")
    await page.get_by_label("Kontaktadress").fill(address)
    await page.get_by_role("button", name="Mejla mig en inloggningslänk").click()
    await page.goto(await stack.sign_in_link(address))
    await page.get_by_role("button", name="Logga in").click()

    # The open requests have their own page (issue 18 #2, issue 21), linked from settings.
    await page.get_by_role("link", name="Öppna begäranden: väntar på").click()
    row = page.locator(f'tr[data-case="{case_id}"]')
    cells = row.locator("td")
    # The merchant's calendar and clock, not UTC's; the reference, not the case id.
    zone = ZoneInfo(merchant.timezone)
    requested = state.requested_at.astimezone(zone)
    await expect(cells.nth(1)).to_have_text(case_reference(case_id))
    await expect(cells.nth(2)).to_have_text("Hooked Plus")
    await expect(cells.nth(3)).to_have_text(f"{format_date(requested.date(), 'sv')} (0 dagar)")
    next_at = state.next_action_at.astimezone(zone)
    month = MONTHS["sv"][next_at.month - 1][:3]
    year = "" if next_at.year == datetime.now(zone).year else f" {next_at.year}"
    city = merchant.timezone.rsplit("/", 1)[-1].replace("_", " ")
    await expect(cells.nth(5)).to_have_text(
        f"påminnelse 1 den {next_at.day} {month}{year}, {next_at:%H:%M} {city}"
    )
    await row.get_by_role("link", name="Svara").click()
    await expect(page.get_by_test_id("reply-form")).to_be_visible()
    assert "/r/" in page.url
