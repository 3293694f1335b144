"""Debian's Chromium for the browser tests, and what they share: the walks (language,
JavaScript on or off, screen width), posting a form, a colour's contrast with white."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def new_page(browser: Browser, **context: Any) -> AsyncIterator[Page]:
    """A page in a context of its own (Playwright's new_context options), closed after."""
    opened = await browser.new_context(**context)
    try:
        yield await opened.new_page()
    finally:
        await opened.close()


@dataclass(frozen=True)
class Walk:
    """One way through a page: its language, JavaScript on or off, the screen's width."""

    lang: str
    javascript: bool
    width: int

    @property
    def id(self) -> str:
        return f"{self.lang}-{'js' if self.javascript else 'nojs'}-{self.width}"

    async def page(self, browser: Browser) -> Page:
        context = await browser.new_context(
            java_script_enabled=self.javascript, viewport={"width": self.width, "height": 900}
        )
        return await context.new_page()


# Each language, JavaScript on and off, desktop (1280 px) and phone (390 px), in four walks.
WALKS = [
    Walk("en", True, 1280),
    Walk("sv", False, 390),
    Walk("sv", True, 390),
    Walk("en", False, 1280),
]


async def send(page: Page) -> int:
    """Press Send (either language) and return the HTTP status of the form's POST."""
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name=re.compile("^(Send|Skicka)$")).click()
    status = (await posted.value).status
    await page.wait_for_load_state()
    return status


async def fits_the_screen(page: Page) -> bool:
    return not await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def contrast_with_white(css: str) -> float:
    """WCAG contrast of the first rgb() colour in a CSS value against white."""
    found = re.search(r"rgb\((\d+), (\d+), (\d+)\)", css)
    assert found, css

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(found.group(i))) for i in (1, 2, 3))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)
