"""An agent's triage in a real browser with JavaScript off (Debian's Chromium driven by
Playwright): sign in at the real provider, find the case waiting for triage, read the
reply, record the answer; the case closes, the customer is told, the audit names the agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from domain.case import CaseStatus
from tests.console.stack import ConsoleStack
from tests.eventually import eventually

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CUSTOMER = "astrid.lindqvist@example.org"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(java_script_enabled=False, locale="en-GB")
    # The provider's development pages import a web font; this machine is offline.
    await context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, stack: ConsoleStack, login: str) -> None:
    await page.goto(stack.base_url)
    assert page.url.startswith(stack.issuer), page.url  # the company's sign-in page
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("any password")
    await page.get_by_role("button", name="Sign-in").click()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_test_id("op")).to_be_visible()


async def test_an_agent_triages_a_reply_without_javascript(
    stack: ConsoleStack, page: Page, artifacts_dir: Path
) -> None:
    merchant = await stack.add_merchant(display_name="Streamio <b>AB</b>")
    case_id = await stack.start(merchant)
    await stack.reply(
        case_id,
        merchant,
        subject="Re: Cancellation <script>alert(1)</script>",
        text="Hello, the subscription is cancelled.\n<script>document.title='x'</script>",
        message_id="triage-1@streamio.example",
    )

    await sign_in(page, stack, "aron")
    assert page.url == f"{stack.base_url}/"
    await expect(page.get_by_test_id("op")).to_have_text("Aron Agent (agent)")
    await page.get_by_role("textbox", name="Merchant").fill(merchant.merchant_id)
    await page.get_by_role("button", name="Filter").click()
    triage = page.locator(f'tr[data-case="{case_id}"]').first
    await expect(triage).to_contain_text(str(merchant.cancellation_emails[0]))
    await expect(triage).to_contain_text("verified")
    await page.screenshot(path=str(artifacts_dir / "console-inbox.png"), full_page=True)

    await triage.get_by_role("link", name=case_id).click()
    reply = page.get_by_test_id("reply-text")
    await expect(reply).to_contain_text("the subscription is cancelled")
    await expect(reply).to_contain_text("<script>document.title='x'</script>")  # as text
    assert await page.locator("script").count() == 0

    # The merchant says it never got the request: sent again, the page says so and why.
    resend = page.get_by_test_id("resend-form")
    await resend.get_by_label("Note (why").fill("merchant asked for it again")
    await resend.get_by_role("button", name="Resend the merchant request").click()
    await expect(page.get_by_test_id("flash")).to_have_text("The merchant request is sent again.")
    await expect(page.get_by_test_id("requests-resent")).to_have_text("1")
    await expect(page.get_by_test_id("audit")).to_contain_text(
        "asked to send the merchant request again: merchant asked for it again"
    )

    form = page.get_by_test_id("answer-form")
    await form.get_by_label("has now been cancelled").check()
    access = (date.today() + timedelta(days=30)).isoformat()
    await form.get_by_label("Date the customer has access").fill(access)
    await form.get_by_label("The answer came").select_option("triage-1@streamio.example")
    await form.get_by_role("button", name="Record the answer").click()
    await expect(page.get_by_test_id("flash")).to_have_text(
        "Answer recorded: has now been cancelled."
    )

    state = await stack.wait_for(case_id, lambda s: s.customer_notified_at is not None)
    assert state.status == CaseStatus.CLOSED

    def told() -> bool:
        return any(
            CUSTOMER in str(m.get("To", ""))
            and f"<{case_id}." in str(m.get("Message-ID", ""))
            and "customer" in str(m.get("Message-ID", ""))
            for m in stack.sink.messages
        )

    await eventually(told, what="the customer's email")
    await page.reload()
    await expect(page.get_by_test_id("status")).to_contain_text("closed")
    audit = page.get_by_test_id("audit")
    await expect(audit).to_contain_text("recorded by ops:aron@ops.example")
    await page.screenshot(path=str(artifacts_dir / "console-case.png"), full_page=True)


async def test_hostile_text_does_not_run_with_javascript_on(
    stack: ConsoleStack, browser: Browser
) -> None:
    """With scripts allowed in the browser, markup in a merchant's name, a subject, a reply
    and a Message-ID still shows as text: nothing opens a dialog or changes the page."""
    merchant = await stack.add_merchant(display_name="Evil <img src=x onerror=alert(1)>")
    case_id = await stack.start(merchant)
    await stack.reply(
        case_id,
        merchant,
        subject="<script>alert('subject')</script>",
        text="<script>document.title='owned'</script><svg onload=alert(2)>",
        message_id='x"><script>alert(3)</script>@evil.example',
    )
    context = await browser.new_context(java_script_enabled=True)
    await context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    dialogs: list[str] = []
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    try:
        await sign_in(page, stack, "ada")
        for path in ("/", f"/cases/{case_id}", f"/merchants/{merchant.merchant_id}"):
            await page.goto(f"{stack.base_url}{path}")
            assert await page.evaluate("document.title") != "owned"
            assert await page.locator("script, svg, img").count() == 0
        await expect(page.get_by_text("Evil <img src=x onerror=alert(1)>").first).to_be_visible()
        await page.goto(f"{stack.base_url}/cases/{case_id}")
        await expect(page.get_by_test_id("reply-text")).to_contain_text("<svg onload=alert(2)>")
    finally:
        await context.close()
    assert dialogs == []
