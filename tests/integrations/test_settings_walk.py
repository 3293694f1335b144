"""The settings portal walked as a merchant's support agent walks it (issue 18 #2), in Debian's
Chromium: English and Swedish, JavaScript on and off, a 1280 px desktop and a 390 px phone.

Sign in with the contact address alone, read the page by its section links, make every kind of
mistake and see it at its field in plain words with what was typed kept, add a webhook and
test it against hosts that fail in different ways, revoke a key after a question, read the
change log as sentences, sign out in the same language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from storage.merchants import MerchantDirectory
from tests.helpers.browser import WALKS, Walk, fits_the_screen
from tests.helpers.servers import free_port
from tests.integrations.portal_stack import SettingsStack

WORDS = {
    "en": {
        "address": "Contact address",
        "send_link": "Email me a sign-in link",
        "check": "Check your email",
        "sign_in": "Sign in",
        "heading": "Merchant settings",
        "contacts": "Contact addresses for requests and reminders",
        "timezone": "Time zone",
        "save": "Save",
        "saved": "Your changes were saved.",
        "url": "Endpoint URL (https://…)",
        "add": "Add endpoint",
        "test": "Send test event",
        "remove": "Remove",
        "revoke": "Revoke",
        "create_key": "Create API key",
        "confirm_revoke": "Yes, revoke the key",
        "confirm_remove": "Yes, remove the endpoint",
        "back": "No, go back",
        "sign_out": "Sign out",
        "sign_in_title": "Sign in to your merchant settings",
        "error": "Error:",
        "bad_contact": "'not-an-address' is not an email address",
        "https": "The address must start with https://",
        "unresolved": "could not be found (DNS)",
        "refused": "refused the connection",
        "http_503": "Your endpoint answered HTTP 503",
        "ok_204": "The endpoint answered HTTP 204.",
        "identifiers_added": "added Postal address to the identifiers you need.",
        "timezone_changed": "changed the time zone from Europe/Stockholm to Europe/London.",
        "key_revoked": "revoked the API key",
        "notify_hint": "This sets where we send new requests, reminders and withdrawals",
        "postal": "Postal address",
    },
    "sv": {
        "address": "Kontaktadress",
        "send_link": "Mejla mig en inloggningslänk",
        "check": "Kontrollera din e-post",
        "sign_in": "Logga in",
        "heading": "Handlarinställningar",
        "contacts": "Kontaktadresser för begäranden och påminnelser",
        "timezone": "Tidszon",
        "save": "Spara",
        "saved": "Dina ändringar sparades.",
        "url": "Adress (https://…)",
        "add": "Lägg till adress",
        "test": "Skicka testhändelse",
        "remove": "Ta bort",
        "revoke": "Återkalla",
        "create_key": "Skapa API-nyckel",
        "confirm_revoke": "Ja, återkalla nyckeln",
        "confirm_remove": "Ja, ta bort adressen",
        "back": "Nej, gå tillbaka",
        "sign_out": "Logga ut",
        "sign_in_title": "Logga in till era handlarinställningar",
        "error": "Fel:",
        "bad_contact": "'not-an-address' är ingen e-postadress",
        "https": "Adressen måste börja med https://",
        "unresolved": "hittades inte (DNS)",
        "refused": "vägrade anslutningen",
        "http_503": "Er mottagare svarade HTTP 503",
        "ok_204": "Adressen svarade HTTP 204.",
        "identifiers_added": "lade till Postadress bland uppgifterna ni behöver.",
        "timezone_changed": "ändrade tidszonen från Europe/Stockholm till Europe/London.",
        "key_revoked": "återkallade API-nyckeln",
        "notify_hint": "Det här styr vart vi skickar nya begäranden",
        "postal": "Postadress",
    },
}
INTERNAL = ("cancellation_emails", "required_identifiers", "CANCELFLOW_", "IANA", "timezone:")


async def _sign_in(page: Page, stack: SettingsStack, address: str, walk: Walk, shots: Path) -> None:
    w = WORDS[walk.lang]
    await page.goto(f"{stack.base_url}/merchant/sign-in?lang={walk.lang}")
    # The contact address alone: no merchant id, which no email tells the merchant.
    await expect(page.locator("#merchant_id")).to_have_count(0)
    await page.get_by_label(w["address"]).fill(address)
    await page.screenshot(path=str(shots / f"settings-{walk.id}-sign-in.png"), full_page=True)
    await page.get_by_role("button", name=w["send_link"]).click()
    await expect(page.get_by_role("heading", name=w["check"])).to_be_visible()
    await page.goto(await stack.sign_in_link(address))
    await page.get_by_role("button", name=w["sign_in"]).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(w["heading"])


@pytest.mark.parametrize("walk", WALKS, ids=[w.id for w in WALKS])
async def test_a_merchant_walks_the_settings_portal(
    stack: SettingsStack, browser: Browser, artifacts_dir: Path, walk: Walk
) -> None:
    w = WORDS[walk.lang]
    merchant = await stack.add_merchant(locale=walk.lang)
    address = str(merchant.cancellation_emails[0])
    page = await walk.page(browser)
    shot = f"settings-{walk.id}"
    await _sign_in(page, stack, address, walk, artifacts_dir)
    assert await fits_the_screen(page)
    await page.screenshot(path=str(artifacts_dir / f"{shot}-page.png"), full_page=True)

    # The reply form's design: inputs, selects and buttons a thumb can hit.
    for control in ("#timezone", "#contacts", "#url", "button[type=submit] >> nth=0"):
        box = await page.locator(control).first.bounding_box()
        assert box is not None and box["height"] >= 40, f"{control} is {box}"
    # Section navigation reaches each section.
    nav = page.get_by_test_id("section-nav")
    await nav.get_by_role("link", name=re.compile("Webhooks")).click()
    assert page.url.endswith("#webhooks")
    await expect(page.get_by_text(w["notify_hint"])).to_be_visible()
    # The time zone is a list; focused from the keyboard it has the dark-edged focus ring.
    assert await page.locator("select#timezone option").count() > 300
    await page.locator("#locale").focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "timezone"
    edge = await page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert "rgb(11, 12, 12)" in edge, edge

    # Mistakes: at the field, in plain words, with what was typed kept.
    await page.get_by_label(w["contacts"]).fill("not-an-address")
    await page.get_by_label(w["postal"], exact=True).check()
    await page.get_by_role("button", name=w["save"]).click()
    await expect(page.get_by_test_id("error-contacts")).to_contain_text(w["bad_contact"])
    await expect(page.get_by_label(w["contacts"])).to_have_value("not-an-address")
    await expect(page.get_by_label(w["contacts"])).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label(w["postal"], exact=True)).to_be_checked()
    assert (await page.title()).startswith(w["error"])
    body = await page.locator("body").inner_text()
    assert not [word for word in INTERNAL if word in body], body
    await page.screenshot(path=str(artifacts_dir / f"{shot}-error.png"), full_page=True)
    assert await fits_the_screen(page)

    await page.get_by_label(w["contacts"]).fill(address)
    await page.locator("#timezone").select_option("Europe/London")
    await page.get_by_role("button", name=w["save"]).click()
    saved = page.get_by_test_id("saved")
    await expect(saved).to_have_text(w["saved"])
    # The notice is styled (its class exists in the CSS): a coloured box, not bare text.
    colour = await saved.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
    assert (await page.title()).startswith(w["error"]) is False
    stored = await MerchantDirectory(stack.pool).get(merchant.merchant_id)
    assert stored is not None and stored.timezone == "Europe/London"
    assert "postal_address" in stored.required_identifiers

    # A refused webhook address keeps what was typed, with the reason at the field.
    await page.get_by_label(w["url"]).fill("http://example.com/hook")
    await page.get_by_role("button", name=w["add"]).click()
    await expect(page.get_by_test_id("error-url")).to_contain_text(w["https"])
    await expect(page.get_by_label(w["url"])).to_have_value("http://example.com/hook")
    body = await page.locator("body").inner_text()
    assert not [word for word in INTERNAL if word in body], body

    # "Send test event" says what happened to the test itself.
    closed = f"https://127.0.0.1:{free_port()}/hook"
    for url in ("https://nowhere.invalid/hook", closed):
        await page.get_by_label(w["url"]).fill(url)
        await page.get_by_role("button", name=w["add"]).click()
        await expect(page.get_by_test_id("new-secret")).to_contain_text("whsec_")
    rows = page.get_by_test_id("webhooks").locator("li")
    await rows.filter(has_text="nowhere.invalid").get_by_role("button", name=w["test"]).click()
    await expect(page.get_by_test_id("test-result")).to_contain_text(w["unresolved"])
    await expect(page.get_by_test_id("test-result")).to_contain_text("nowhere.invalid")
    await rows.filter(has_text=closed).get_by_role("button", name=w["test"]).click()
    await expect(page.get_by_test_id("test-result")).to_contain_text(w["refused"])
    stack.receiver.fail_next(1)
    receiver = rows.filter(has_text=stack.receiver.url)
    await receiver.get_by_role("button", name=w["test"]).click()
    await expect(page.get_by_test_id("test-result")).to_contain_text(w["http_503"])
    await receiver.get_by_role("button", name=w["test"]).click()
    await expect(page.get_by_test_id("test-result")).to_have_text(w["ok_204"])

    # Removing an endpoint asks first; "go back" removes nothing.
    await rows.filter(has_text=closed).get_by_role("button", name=w["remove"]).click()
    await expect(page.get_by_test_id("confirm-action")).to_contain_text(closed)
    await page.screenshot(path=str(artifacts_dir / f"{shot}-confirm.png"), full_page=True)
    await page.get_by_role("link", name=w["back"]).click()
    await expect(page.get_by_test_id("webhooks")).to_contain_text(closed)
    await rows.filter(has_text=closed).get_by_role("button", name=w["remove"]).click()
    await page.get_by_role("button", name=w["confirm_remove"]).click()
    await expect(page.get_by_test_id("saved")).to_be_visible()
    await expect(page.get_by_test_id("webhooks")).not_to_contain_text(closed)

    # Revoking a key asks first.
    await page.get_by_role("button", name=w["create_key"]).click()
    await expect(page.get_by_test_id("new-key")).to_contain_text("cfk_")
    await page.get_by_test_id("api-keys").get_by_role("button", name=w["revoke"]).click()
    await expect(page.get_by_test_id("confirm-action")).to_contain_text("cfk_")
    await page.get_by_role("button", name=w["confirm_revoke"]).click()
    await expect(
        page.get_by_test_id("api-keys").get_by_role("button", name=w["revoke"])
    ).to_have_count(0)

    # The change log reads as sentences, in the merchant's language and clock.
    log = page.get_by_test_id("changes")
    await expect(log).to_contain_text(f"{address} {w['identifiers_added']}")
    await expect(log).to_contain_text(f"{address} {w['timezone_changed']}")
    await expect(log).to_contain_text(w["key_revoked"])
    assert "{" not in await log.inner_text()
    await page.screenshot(path=str(artifacts_dir / f"{shot}-done.png"), full_page=True)
    assert await fits_the_screen(page)

    # Signing out keeps the language.
    await page.get_by_role("button", name=w["sign_out"]).click()
    await expect(page.get_by_role("heading", name=w["sign_in_title"])).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", walk.lang)
    await page.context.close()
