"""The reply form as a merchant's agent uses it (issue 18 #3), in Debian's Chromium: English and
Swedish, JavaScript on and off, 1280 and 390 px. The message box holds what the server takes
(2,000 characters) and counts down with JavaScript; the focus ring keeps a dark edge; the title
says "Error:"; the agent's name and ticket number are recorded; the confirmation says what
happens next; line breaks arrive as \\n; the portal's own address has a landing page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from domain.wording import format_date
from tests.helpers.browser import WALKS, Walk, contrast_with_white, fits_the_screen, send
from tests.helpers.portal import PortalStack, _in

WORDS = {
    "en": {
        "could_not": "could not be cancelled",
        "other": "other reason",
        "binding": "binding contract",
        "agent": "Your name",
        "ticket": "Your ticket or case number",
        "error": "Error:",
        "remaining": "You have {n} characters remaining",
        "limit": "You can enter up to 2000 characters.",
        "next_other": "What happens next: Minna's support team reads your message",
        "private": "Your message is for Minna only",
        "next_binding": "we will send you a new cancellation request on {date}.",
    },
    "sv": {
        "could_not": "kunde inte sägas upp",
        "other": "annan orsak",
        "binding": "bindningstid",
        "agent": "Ditt namn",
        "ticket": "Ert ärende- eller ticketnummer",
        "error": "Fel:",
        "remaining": "Du har {n} tecken kvar",
        "limit": "Du kan skriva upp till 2000 tecken.",
        "next_other": "Vad händer nu: Minnas support läser ert meddelande",
        "private": "Ditt meddelande är bara till Minna",
        "next_binding": "vi skickar en ny uppsägningsbegäran till er {date}.",
    },
}


async def _focus_edge(page: Page) -> str:
    return str(await page.evaluate("getComputedStyle(document.activeElement).boxShadow"))


@pytest.mark.parametrize("walk", WALKS, ids=[w.id for w in WALKS])
async def test_an_agent_answers_with_name_ticket_and_a_two_line_message(
    stack: PortalStack, browser: Browser, artifacts_dir: Path, walk: Walk
) -> None:
    w = WORDS[walk.lang]
    merchant = await stack.add_merchant(locale=walk.lang, display_name="FitGym UK")
    case_id = await stack.start(merchant)
    page = await walk.page(browser)
    try:
        await page.goto(await stack.reply_link_from_email(merchant))
        message = page.locator("#message")
        await expect(message).to_have_attribute("maxlength", "2000")
        count = page.get_by_test_id("message-count")
        if walk.javascript:
            await expect(count).to_have_text(w["remaining"].format(n=2000))
        else:
            await expect(count).to_have_text(w["limit"])

        # The focus ring: yellow with a near-black edge, on a text box and on the button.
        await page.get_by_label(w["agent"]).focus()
        edge = await _focus_edge(page)
        assert contrast_with_white(edge) >= 3, edge
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.dataset.testid") == "send"
        edge = await _focus_edge(page)
        assert contrast_with_white(edge) >= 3, edge

        # Errors put "Error:" first in the title, as a screen reader announces it.
        assert await send(page) == 422
        assert (await page.title()).startswith(w["error"])

        await page.get_by_label(w["could_not"]).check()
        await page.get_by_label(w["other"]).check()
        await message.fill("Line one\nLine two")
        if walk.javascript:
            await expect(count).to_have_text(w["remaining"].format(n=2000 - 17))
        await page.get_by_label(w["agent"]).fill("Anna Berg")
        await page.get_by_label(w["ticket"]).fill("ZD-4411")
        await page.screenshot(
            path=str(artifacts_dir / f"reply-{walk.id}-filled.png"), full_page=True
        )
        assert await send(page) == 303
        assert not (await page.title()).startswith(w["error"])
        await expect(page.get_by_test_id("next-step")).to_contain_text(w["next_other"])
        await expect(page.get_by_test_id("private-note")).to_contain_text(w["private"])
        await expect(page.get_by_test_id("recorded-ticket")).to_have_text("ZD-4411")
        await page.screenshot(
            path=str(artifacts_dir / f"reply-{walk.id}-confirmation.png"), full_page=True
        )
        assert await fits_the_screen(page)
    finally:
        await page.context.close()

    answer = (await stack.state(case_id)).answer
    assert answer is not None
    assert answer.responded_by == "Anna Berg, merchant portal (FitGym UK)"
    assert answer.reference == "ZD-4411"
    assert getattr(answer, "message", None) == "Line one\nLine two"


async def test_the_confirmation_names_the_new_request_date_and_no_private_message(
    stack: PortalStack, browser: Browser, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant(locale="sv", notice_period_days=30)
    case_id = await stack.start(merchant)
    page = await Walk("sv", True, 390).page(browser)
    try:
        await page.goto(await stack.reply_link_from_email(merchant))
        await page.get_by_label("kunde inte sägas upp").check()
        await page.get_by_label("bindningstid", exact=True).check()
        await page.locator("#contract_ends_on").fill(_in(200))
        assert await send(page) == 303
        new_request_on = date.fromisoformat(_in(200)) - timedelta(days=30)
        await expect(page.get_by_test_id("next-step")).to_contain_text(
            WORDS["sv"]["next_binding"].format(date=format_date(new_request_on, "sv"))
        )
        # No message was written: nothing to say about one.
        await expect(page.get_by_test_id("private-note")).to_have_count(0)
        await expect(page.get_by_test_id("recorded-ticket")).to_have_count(0)
        await page.screenshot(
            path=str(artifacts_dir / "reply-binding-confirmation-sv-390.png"), full_page=True
        )
    finally:
        await page.context.close()
    answer = (await stack.state(case_id)).answer
    assert answer is not None and answer.reference is None
    assert answer.responded_by == f"merchant portal ({merchant.display_name})"


@pytest.mark.parametrize("lang", ["en", "sv"])
async def test_the_portals_own_address_has_a_landing_page(
    stack: PortalStack, browser: Browser, artifacts_dir: Path, lang: str
) -> None:
    page = await Walk(lang, False, 390).page(browser)
    try:
        response = await page.goto(f"{stack.base_url}/?lang={lang}")
        assert response is not None and response.status == 200
        title = {"en": "Minna cancellation portal", "sv": "Minnas uppsägningsportal"}[lang]
        await expect(page.get_by_role("heading", level=1)).to_have_text(title)
        body = await page.locator("body").inner_text()
        assert "not valid" not in body and "inte giltig" not in body
        assert stack.settings.email.support_address in body
        await page.screenshot(path=str(artifacts_dir / f"portal-home-{lang}.png"), full_page=True)
    finally:
        await page.context.close()
