"""What ops see of a case in the Temporal Web UI, in Chromium (issue 18 #1, #5): the summary
names the reference and the merchant, the current details lead with status and outcome and
give the merchant's local times to the minute, and the README's saved-view query by
CaseReference finds the case."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case
from domain.case import CaseStatus
from domain.reply_token import case_reference
from tests.eventually import eventually
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.servers import binary, free_port
from workers.codec import EncryptionCodec, EncryptionKey, encrypting_converter
from workers.codec_server import running_codec_server, ui_origins
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

UI_PORT = free_port()


@pytest.fixture
async def ui_env(codec_keys: list[EncryptionKey]) -> AsyncIterator[WorkflowEnvironment]:
    async with running_codec_server(
        EncryptionCodec(codec_keys), "127.0.0.1", free_port(), ui_origins(UI_PORT)
    ) as codec_url:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
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
            yield env
        finally:
            await env.shutdown()


async def test_ops_read_reference_merchant_status_and_local_times_in_the_ui(
    ui_env: WorkflowEnvironment, artifacts_dir: Path
) -> None:
    merchant_id = f"fitgym-{uuid.uuid4().hex[:6]}"
    merchant = make_merchant(
        merchant_id=merchant_id, display_name="FitGym UK", timezone="Europe/London"
    )
    request = make_request(merchant_id=merchant_id)
    reference = case_reference(request.case_id)
    acts = RecordingActivities(merchants={merchant_id: merchant})
    async with running_worker(ui_env.client, acts) as task_queue:
        started = await start_case(ui_env.client, request, task_queue, merchant_name="FitGym UK")
        state = await eventually(
            partial(case_state, ui_env.client, request.case_id),
            lambda s: s.status is CaseStatus.AWAITING,
        )
        assert state.next_action_at is not None
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless=new"]
            )
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                base = f"http://127.0.0.1:{UI_PORT}/namespaces/default"
                await page.goto(f"{base}/workflows/{started.handle.id}")
                # UI 2.54 shows the summary and the current details under "User Metadata",
                # each rendered from its markdown in a frame of its own.
                await page.get_by_text("User Metadata", exact=True).first.click(timeout=20_000)
                due = state.next_action_at.astimezone(ZoneInfo("Europe/London"))
                wanted = [
                    f"{reference}: cancel Acme Premium at FitGym UK ({merchant_id})",
                    f"Case {reference}, {request.case_id} (round 1), merchant FitGym UK"
                    f" ({merchant_id})",
                    "Status awaiting",
                    f"Next reminder 1 to the merchant at {due:%Y-%m-%d %H:%M} Europe/London",
                ]

                async def shown() -> str:
                    texts = [await f.locator("body").inner_text() for f in page.frames]
                    return " ".join(" ".join(texts).split())

                text = await eventually(
                    shown, lambda t: all(w in t for w in wanted), what="the case's metadata"
                )
                assert "+00:00" not in text
                await page.screenshot(
                    path=str(artifacts_dir / "temporal-ui-case.png"), full_page=True
                )

                # The saved view "one case by reference" from the README.
                query = quote(f'CaseReference = "{reference}"')
                await page.goto(f"{base}/workflows?query={query}")
                await expect(page.get_by_text(started.handle.id).first).to_be_visible(
                    timeout=20_000
                )
                await page.screenshot(
                    path=str(artifacts_dir / "temporal-ui-by-reference.png"), full_page=True
                )
            finally:
                await browser.close()
