"""The merchant's side in a real browser (Debian's Chromium driven by Playwright): from the
link in the real email to the confirmation, in English and Swedish, with and without JS."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from domain.case import CaseStatus
from tests.helpers.browser import new_page, send
from tests.helpers.portal import PortalStack, _in

PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async with new_page(browser, viewport={"width": 1000, "height": 900}) as opened:
        yield opened


async def test_merchant_answers_from_the_email_link(
    stack: PortalStack, page: Page, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant(
        display_name="Streamio AB",
        required_identifiers=["email", "first_name", "last_name", "customer_number"],
    )
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)

    response = await page.goto(link)
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", name="Reply to cancellation request")).to_be_visible()
    identifiers = page.get_by_test_id("identifiers")
    for shown in ("astrid.lindqvist@example.org", "Astrid", "Lindqvist", "CN-998877"):
        await expect(identifiers).to_contain_text(shown)
    body_text = await page.locator("body").inner_text()
    assert "9876" not in body_text and "Hemligvägen" not in body_text
    await page.screenshot(path=str(artifacts_dir / "portal-form.png"), full_page=True)

    # With JavaScript only the chosen option's fields show.
    await page.get_by_label("was already cancelled").check()
    await expect(page.locator("#cancelled_on")).to_be_visible()
    await expect(page.locator("#access_until")).to_be_hidden()
    await expect(page.locator("#contract_ends_on")).to_be_hidden()

    # A date in the future is refused next to the field, with what was entered kept.
    await page.locator("#cancelled_on").fill(_in(5))
    assert await send(page) == 422
    field = page.locator(".field", has=page.locator("#cancelled_on"))
    await expect(field.get_by_test_id("error-cancelled_on")).to_contain_text(
        "cannot be after today"
    )
    await expect(page.locator("#cancelled_on")).to_have_value(_in(5))
    await expect(page.locator("#cancelled_on")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("was already cancelled")).to_be_checked()
    await page.screenshot(path=str(artifacts_dir / "portal-form-error.png"), full_page=True)

    await page.locator("#cancelled_on").fill(_in(-2))
    assert await send(page) == 303
    await expect(page.get_by_test_id("recorded")).to_contain_text(
        "Thank you, your answer has been recorded"
    )
    await expect(page.get_by_test_id("recorded-outcome")).to_contain_text("was already cancelled")
    await page.screenshot(path=str(artifacts_dir / "portal-confirmation.png"), full_page=True)

    state = await stack.state(case_id)
    assert state.answer is not None
    assert state.answer.outcome.value == "was_already_cancelled"
    assert state.answer.channel.value == "portal"
    assert state.answer.responded_by == "merchant portal (Streamio AB)"

    # The link again: the recorded answer, read-only.
    await page.goto(link)
    await expect(page.get_by_test_id("recorded")).to_contain_text(
        "An answer to this request has been recorded"
    )
    await expect(page.get_by_test_id("recorded-outcome")).to_contain_text("was already cancelled")
    assert await page.locator("form").count() == 0


FOUR_MORE: list[tuple[str, str | None, str | None, dict[str, Any], str]] = [
    (
        "has now been cancelled",
        None,
        "access_until",
        {"access_until": _in(25)},
        "has now been cancelled",
    ),
    (
        "could not be cancelled",
        "binding contract",
        "contract_ends_on",
        {"contract_ends_on": _in(300)},
        "could not be cancelled — binding contract",
    ),
    (
        "could not be cancelled",
        "no subscription found",
        None,
        {},
        "could not be cancelled — no subscription found",
    ),
    (
        "could not be cancelled",
        "other reason",
        "message",
        {"message": "The account is held by a company; we need a signed form."},
        "could not be cancelled — other reason",
    ),
]


@pytest.mark.parametrize(
    ("choice", "reason", "field", "values", "shown"),
    FOUR_MORE,
    ids=["has_now_been_cancelled", "binding_contract", "no_subscription_found", "other_reason"],
)
async def test_every_other_answer_from_the_email_link(
    stack: PortalStack,
    page: Page,
    artifacts_dir: Path,
    choice: str,
    reason: str | None,
    field: str | None,
    values: dict[str, str],
    shown: str,
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await page.goto(await stack.reply_link_from_email(merchant))

    await page.get_by_label(choice, exact=True).check()
    if reason:
        await page.get_by_label(reason, exact=True).check()
    for name, value in values.items():
        await page.locator(f"#{name}").fill(value)
    if field == "message":
        await expect(page.get_by_text("is not shared with the customer")).to_be_visible()
        await page.screenshot(
            path=str(artifacts_dir / "portal-form-other-reason.png"), full_page=True
        )
    assert await send(page) == 303
    await expect(page.get_by_test_id("recorded")).to_contain_text("Thank you")
    await expect(page.get_by_test_id("recorded-outcome")).to_have_text(
        re.compile(r"\s*" + re.escape(shown).replace(r"\ ", r"\s+") + r"\s*")
    )
    if field == "message":
        await expect(page.get_by_test_id("recorded-message")).to_have_text(values["message"])
    elif field:
        await expect(page.get_by_test_id("recorded-date")).to_be_visible()

    state = await stack.state(case_id)
    assert state.answer is not None and state.answer.channel.value == "portal"
    assert state.answer.outcome.value == (reason or choice).replace(" ", "_")


async def test_a_tampered_or_expired_link_gets_a_clear_page(
    stack: PortalStack, page: Page, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    token = link.rsplit("/", 1)[1]
    tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]

    for url in (
        f"{stack.base_url}/r/{tampered}",
        f"{stack.base_url}/r/nonsense",
        f"{stack.base_url}/r/{'x' * 2000}",
    ):
        response = await page.goto(url)
        assert response is not None and response.status == 404
        await expect(page.get_by_test_id("link-error")).to_contain_text("This link is not valid")
        await expect(page.get_by_test_id("link-error")).to_contain_text("reply to the cancellation")
        text = await page.locator("body").inner_text()
        assert "Astrid" not in text and "Traceback" not in text and case_id not in text
    await page.screenshot(path=str(artifacts_dir / "portal-link-invalid.png"))

    expired = stack.signer.issue(
        case_id, merchant.merchant_id, 1, datetime.now(UTC) - timedelta(days=1)
    )
    response = await page.goto(f"{stack.base_url}/r/{expired}")
    assert response is not None and response.status == 410
    await expect(page.get_by_test_id("link-error")).to_contain_text("This link has expired")
    assert "Astrid" not in await page.locator("body").inner_text()

    # A genuine token for another merchant's view of the case opens nothing either.
    foreign = stack.signer.issue(case_id, "someone-else", 1, datetime.now(UTC) + timedelta(days=9))
    response = await page.goto(f"{stack.base_url}/r/{foreign}")
    assert response is not None and response.status == 404


async def test_swedish_from_the_merchant_locale_with_a_switch(
    stack: PortalStack, page: Page, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant(locale="sv")
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    await page.set_viewport_size(PHONE)
    await page.goto(link)
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(page.get_by_role("button", name="Skicka")).to_be_visible()
    await expect(page.get_by_label("kunde inte sägas upp")).to_be_visible()
    await page.screenshot(path=str(artifacts_dir / "portal-form-sv-phone.png"), full_page=True)

    # The form fits a phone: nothing wider than the screen.
    overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    await page.get_by_role("link", name="Svenska").click()

    # Keyboard only: arrow keys move between the choices, Enter sends.
    await page.locator("#choice-has_now_been_cancelled").focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#choice-was_already_cancelled")).to_be_checked()
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#choice-could_not_be_cancelled")).to_be_checked()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    await expect(page.locator("#reason-binding_contract")).to_be_checked()
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#reason-no_subscription_found")).to_be_checked()
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.keyboard.press("Enter")
    assert (await posted.value).status == 303
    await expect(page.get_by_test_id("recorded")).to_contain_text(
        "Tack, ditt svar har registrerats"
    )
    await expect(page.get_by_test_id("recorded-outcome")).to_contain_text(
        "inget abonnemang hittades"
    )
    await page.screenshot(
        path=str(artifacts_dir / "portal-confirmation-sv-phone.png"), full_page=True
    )
    assert (await stack.state(case_id)).answer is not None


async def test_without_javascript_every_field_shows_and_errors_name_the_field(
    stack: PortalStack, browser: Browser, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(link)
        for name in ("access_until", "cancelled_on", "contract_ends_on", "message"):
            await expect(page.locator(f"#{name}")).to_be_visible()
        await page.screenshot(path=str(artifacts_dir / "portal-form-no-js.png"), full_page=True)

        assert await send(page) == 422
        await expect(page.get_by_test_id("error-choice")).to_contain_text(
            "Choose what happened to the subscription"
        )
        await page.get_by_label("could not be cancelled").check()
        await page.get_by_label("other reason").check()
        await page.locator("#message").fill("   ")
        assert await send(page) == 422
        await expect(page.get_by_test_id("error-message")).to_contain_text(
            "Write a message explaining the other reason"
        )
        await expect(page.get_by_label("other reason")).to_be_checked()
        await page.locator("#message").fill("Needs a signed form from the account holder.")
        assert await send(page) == 303
        await expect(page.get_by_test_id("recorded")).to_contain_text("Thank you")
    finally:
        await context.close()
    state = await stack.state(case_id)
    assert state.answer is not None and state.answer.outcome.value == "other_reason"


async def test_double_click_records_one_answer(stack: PortalStack, page: Page) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await page.goto(await stack.reply_link_from_email(merchant))
    await page.get_by_label("has now been cancelled").check()
    await page.locator("#access_until").fill(_in(10))
    await page.get_by_role("button", name="Send").dblclick()
    await expect(page.get_by_test_id("recorded")).to_contain_text("has been recorded")
    await expect(page.get_by_test_id("recorded-outcome")).to_contain_text("has now been cancelled")
    await stack.wait_until_customer_notified(case_id)
    assert len(stack.emails_to("astrid.lindqvist@example.org", case_id)) == 1


async def test_a_different_answer_from_a_stale_page_is_refused_with_the_first(
    stack: PortalStack, browser: Browser
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    context = await browser.new_context()
    try:
        first, second = await context.new_page(), await context.new_page()
        await first.goto(link)
        await second.goto(link)
        await first.get_by_label("could not be cancelled").check()
        await first.get_by_label("no subscription found").check()
        assert await send(first) == 303

        await second.get_by_label("has now been cancelled").check()
        await second.locator("#access_until").fill(_in(10))
        assert await send(second) == 409
        await expect(second.get_by_test_id("recorded")).to_contain_text(
            "Your answer was not recorded"
        )
        await expect(second.get_by_test_id("refusal")).to_contain_text(
            "through the cancellation portal"
        )
        # The refusal dates the first answer in the merchant's time zone: its year, not this
        # machine's, which differs from 23:00 UTC on 31 December.
        first_answer = (await stack.state(case_id)).answer
        assert first_answer is not None
        answered_on = first_answer.answered_at.astimezone(ZoneInfo(merchant.timezone)).date()
        await expect(second.get_by_test_id("refusal")).to_contain_text(str(answered_on.year))
        await expect(second.get_by_test_id("recorded-outcome")).to_contain_text(
            "no subscription found"
        )
    finally:
        await context.close()
    state = await stack.state(case_id)
    assert state.answer is not None and state.answer.outcome.value == "no_subscription_found"


async def test_forged_cross_site_posts_are_refused(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    form = {"choice": "could_not_be_cancelled", "reason": "no_subscription_found"}
    forged = await stack.http.post(link, data=form)
    assert forged.status_code == 403
    wrong_token = await stack.http.post(
        link, data={**form, "csrf_token": "0" * 64}, cookies={"cf_csrf": "A" * 43}
    )
    assert wrong_token.status_code == 403
    assert "has expired or was sent from another page" in wrong_token.text
    assert (await stack.state(case_id)).status is CaseStatus.AWAITING


async def test_two_simultaneous_posts_give_one_answer_and_the_same_confirmation(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    page = await stack.http.get(link)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert token is not None
    form = {
        "csrf_token": token.group(1),
        "choice": "was_already_cancelled",
        "cancelled_on": _in(-1),
    }
    cookies = {"cf_csrf": page.cookies["cf_csrf"]}
    posts = await asyncio.gather(
        *(stack.http.post(link, data=form, cookies=cookies) for _ in range(3))
    )
    assert [p.status_code for p in posts] == [303, 303, 303]
    assert len({p.headers["location"] for p in posts}) == 1
    await stack.wait_until_customer_notified(case_id)
    assert len(stack.emails_to("astrid.lindqvist@example.org", case_id)) == 1
