"""What ops see of a case in the Temporal Web UI, in Chromium (issue 18 #1, #5): the summary
names the reference and the merchant, the current details lead with status and outcome and
give the merchant's local times to the minute, and the README's saved-view query by
CaseReference finds the case."""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect
from playwright.async_api import Error as PlaywrightError

from cases.client import case_state, start_case
from domain.case import CaseStatus
from domain.reply_token import case_reference
from tests.eventually import eventually
from tests.helpers.browser import new_page
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.temporal_ui import TemporalUi


async def test_ops_read_reference_merchant_status_and_local_times_in_the_ui(
    ui: TemporalUi, browser: Browser, artifacts_dir: Path
) -> None:
    merchant_id = f"fitgym-{uuid.uuid4().hex[:6]}"
    merchant = make_merchant(
        merchant_id=merchant_id, display_name="FitGym UK", timezone="Europe/London"
    )
    request = make_request(merchant_id=merchant_id)
    reference = case_reference(request.case_id)
    acts = RecordingActivities(merchants={merchant_id: merchant})
    async with running_worker(ui.env.client, acts) as task_queue:
        started = await start_case(ui.env.client, request, task_queue, merchant_name="FitGym UK")
        state = await eventually(
            partial(case_state, ui.env.client, request.case_id),
            lambda s: s.status is CaseStatus.AWAITING,
        )
        assert state.next_action_at is not None
        async with new_page(browser, viewport={"width": 1280, "height": 900}) as page:
            await page.goto(f"{ui.namespace_url}/workflows/{started.handle.id}")
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
                texts = []
                for frame in page.frames:
                    try:
                        texts.append(await frame.locator("body").inner_text())
                    except PlaywrightError:
                        # The UI re-renders a markdown frame while it is read: read again.
                        return ""
                return " ".join(" ".join(texts).split())

            text = await eventually(
                shown, lambda t: all(w in t for w in wanted), what="the case's metadata"
            )
            assert "+00:00" not in text
            await page.screenshot(path=str(artifacts_dir / "temporal-ui-case.png"), full_page=True)

            # The saved view "one case by reference" from the README.
            query = quote(f'CaseReference = "{reference}"')
            await page.goto(f"{ui.namespace_url}/workflows?query={query}")
            await expect(page.get_by_text(started.handle.id).first).to_be_visible(timeout=20_000)
            await page.screenshot(
                path=str(artifacts_dir / "temporal-ui-by-reference.png"), full_page=True
            )
