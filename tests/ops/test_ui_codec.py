"""The Temporal Web UI, started with --ui-codec-endpoint as `cancelflow dev` does, shows ops
the decrypted case in a real browser, while the server holds only ciphertext."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from cases.client import start_case
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.servers import _binary, free_port
from workers.codec import EncryptionCodec, EncryptionKey, encrypting_converter
from workers.codec_server import running_codec_server, ui_origins
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

UI_PORT = free_port()


@pytest.fixture
async def ui_env(codec_keys: list[EncryptionKey]) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    async with running_codec_server(
        EncryptionCodec(codec_keys), "127.0.0.1", free_port(), ui_origins(UI_PORT)
    ) as codec_url:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=_binary("temporal"),
            data_converter=encrypting_converter(codec_keys),
            search_attributes=ALL_SEARCH_ATTRIBUTES,
            port=free_port(),
            ui=True,
            ui_port=UI_PORT,
            dev_server_extra_args=[
                "--ui-codec-endpoint", codec_url, "--ui-disable-news-fetch",
                "--http-port", str(free_port()), "--metrics-port", str(free_port()),
            ],
        )  # fmt: skip
        try:
            yield env, codec_url
        finally:
            await env.shutdown()


async def test_ui_shows_decrypted_input_through_the_codec_server(
    ui_env: tuple[WorkflowEnvironment, str],
) -> None:
    env, codec_url = ui_env
    request = make_request()
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    async with running_worker(env.client, acts) as task_queue:
        started = await start_case(env.client, request, task_queue)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless=new"]
            )
            try:
                page = await browser.new_page()
                codec_calls: list[str] = []
                page.on(
                    "request",
                    lambda r: codec_calls.append(r.url) if r.url.startswith(codec_url) else None,
                )
                await page.goto(
                    f"http://127.0.0.1:{UI_PORT}/namespaces/default/workflows/{started.handle.id}"
                )
                await expect(page.get_by_text("anna.svensson@example.com").first).to_be_visible(
                    timeout=20_000
                )
                assert any("/decode" in url for url in codec_calls)
            finally:
                await browser.close()
