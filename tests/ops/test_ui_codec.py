"""The Temporal Web UI, started with --ui-codec-endpoint as `cancelflow dev` does, shows ops
the decrypted case in a real browser, while the server holds only ciphertext."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from cases.client import start_case
from tests.helpers.browser import new_page
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.temporal_ui import TemporalUi


async def test_ui_shows_decrypted_input_through_the_codec_server(
    ui: TemporalUi, browser: Browser
) -> None:
    request = make_request()
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    async with running_worker(ui.env.client, acts) as task_queue:
        started = await start_case(ui.env.client, request, task_queue)
        async with new_page(browser) as page:
            codec_calls: list[str] = []
            page.on(
                "request",
                lambda r: codec_calls.append(r.url) if r.url.startswith(ui.codec_url) else None,
            )
            await page.goto(f"{ui.namespace_url}/workflows/{started.handle.id}")
            await expect(page.get_by_text("anna.svensson@example.com").first).to_be_visible(
                timeout=20_000
            )
            assert any("/decode" in url for url in codec_calls)
