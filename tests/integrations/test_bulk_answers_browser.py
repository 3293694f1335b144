"""Answers in bulk in a real browser (Debian's Chromium, JavaScript off, in Swedish): sign in,
answer 20 requests at once, download the open requests as CSV, fill it with valid and invalid
rows, upload it, read the results; the same file again records nothing twice."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from cases.client import case_state, start_case
from domain.case import CaseStatus
from domain.merchant import Merchant
from domain.request import CancellationRequest
from portal.merchant_settings import requests as open_requests
from tests.eventually import eventually
from tests.helpers.browser import new_page
from tests.integrations.portal_stack import SettingsStack
from workers.wiring import webhook_endpoints

ZONE = "Europe/Stockholm"


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """Chromium with JavaScript off, as the issue's test asks."""
    async with new_page(browser, java_script_enabled=False) as opened:
        yield opened


async def _start(stack: SettingsStack, merchant: Merchant, case_id: str, name: str) -> None:
    request = CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": merchant.merchant_id,
            "subscription": {"name": name},
            "locale": "sv",
            "customer": {"email": f"{case_id}@example.org", "last_name": "Holm"},
        }
    )
    await start_case(stack.client, request, stack.settings.temporal.task_queue)


async def _awaiting(stack: SettingsStack, merchant: Merchant, case_ids: list[str]) -> None:
    async def all_waiting() -> bool:
        states = await asyncio.gather(*(case_state(stack.client, c) for c in case_ids))
        return all(s.status is CaseStatus.AWAITING for s in states)

    await eventually(all_waiting, what="every case to await the merchant", within=120)
    await stack.until_listed(merchant, case_ids)


async def _sign_in(stack: SettingsStack, page: Page, merchant: Merchant) -> None:
    address = str(merchant.cancellation_emails[0])
    await page.goto(f"{stack.base_url}/merchant/sign-in?lang=sv")
    await page.get_by_label("Kontaktadress").fill(address)
    await page.get_by_role("button", name="Mejla mig en inloggningslänk").click()
    await page.goto(await stack.sign_in_link(address))
    await page.get_by_role("button", name="Logga in").click()


async def _until_done(page: Page) -> None:
    # JavaScript is off: the merchant presses Refresh until every row has ended.
    async def done() -> bool:
        text = await page.get_by_test_id("progress").inner_text()
        if text.startswith("Klart"):
            return True
        await page.get_by_role("link", name="Uppdatera").click()
        return False

    await eventually(done, what="the batch to end", within=120)


def _table(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


async def test_answer_many_then_by_spreadsheet_in_swedish(
    stack: SettingsStack,
    page: Page,
    tmp_path: Path,
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merchant = await stack.add_merchant(locale="sv", timezone=ZONE)
    await webhook_endpoints(stack.settings, stack.pool).add(
        merchant.merchant_id,
        stack.receiver.url + "/answers",
        ["cancellation.answer_recorded"],
        "tests",
    )
    tag = uuid.uuid4().hex[:6]
    selected = [f"sel-{tag}-{n:02d}" for n in range(20)]
    sheet = [f"csv-{tag}-{n:02d}" for n in range(8)]
    for case_id in selected + sheet:
        await _start(stack, merchant, case_id, "Hooked Plus")
    hostile = f"csv-{tag}-hostile"
    await _start(stack, merchant, hostile, '=HYPERLINK("http://evil.example","Klicka")')
    await _awaiting(stack, merchant, [*selected, *sheet, hostile])

    await _sign_in(stack, page, merchant)
    await page.get_by_role("link", name="Öppna begäranden: väntar på").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Öppna begäranden")
    await expect(page.get_by_role("heading", name="Väntar på ert svar")).to_be_visible()

    # Each row: the CF- reference, the subscription, and the next step in words and local time.
    state = await case_state(stack.client, selected[0])
    assert state.next_action_at is not None
    due = state.next_action_at.astimezone(ZoneInfo(ZONE))
    row = page.locator(f'tr[data-case="{selected[0]}"]')
    from domain.reply_token import case_reference

    await expect(row.get_by_test_id("reference")).to_have_text(case_reference(selected[0]))
    await expect(row).to_contain_text("Hooked Plus")
    month = ("jan feb mar apr maj jun jul aug sep okt nov dec".split())[due.month - 1]
    await expect(row.get_by_test_id("next-step")).to_have_text(
        f"påminnelse 1 den {due.day} {month}"
        + ("" if due.year == datetime.now(ZoneInfo(ZONE)).year else f" {due.year}")
        + f", {due:%H:%M} Stockholm"
    )

    for width, name in ((1280, "open-requests-sv.png"), (390, "open-requests-sv-390.png")):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(artifacts_dir / name), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Select 20 and answer them at once.
    for case_id in selected:
        await page.locator(f'tr[data-case="{case_id}"] input[type="checkbox"]').check()
    await page.get_by_label("Utfall", exact=True).select_option("has_now_been_cancelled")
    access_until = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=30)).isoformat()
    await page.get_by_label("Datum (kundens").fill(access_until)
    await page.get_by_role("button", name="Skicka svar till valda begäranden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Svar i omgång")
    await _until_done(page)
    await expect(page.get_by_test_id("progress")).to_have_text(
        "Klart: 20 registrerade, 0 redan registrerade, 0 avvisade av 20."
    )
    await expect(page.get_by_test_id("result").filter(has_text="registrerat")).to_have_count(20)
    for case_id in selected[:3]:
        answered = await case_state(stack.client, case_id)
        assert answered.answer is not None and answered.answer.outcome == "has_now_been_cancelled"
        assert answered.answer.reference and answered.answer.reference.startswith("bulk bat_")

    # The spreadsheet: what is still waiting, identifiers as configured, nothing executable.
    await page.get_by_role("link", name="Tillbaka till öppna begäranden").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Ladda ner öppna begäranden (CSV)").click()
    downloaded = tmp_path / "open.csv"
    await (await download_info.value).save_as(downloaded)
    rows = _table(downloaded)
    by_case = {r["case_id"]: r for r in rows}
    assert set(sheet) | {hostile} <= set(by_case)
    assert not set(selected) & set(by_case)
    header = list(rows[0])
    assert header[-5:] == [
        "outcome",
        "access_until",
        "cancelled_on",
        "contract_ends_on",
        "message",
    ]
    assert {"reference", "requested_on", "next_step", "next_step_due"} <= set(header)
    assert by_case[sheet[0]]["customer.email"] == f"{sheet[0]}@example.org"
    assert by_case[hostile]["subscription"].startswith("'=HYPERLINK")

    # Fill it: valid rows, invalid ones, a case that is not this merchant's, blank rows.
    today = datetime.now(ZoneInfo(ZONE)).date()
    fills = {
        sheet[0]: {"outcome": "has_now_been_cancelled", "access_until": access_until},
        sheet[1]: {"outcome": "was_already_cancelled", "cancelled_on": today.isoformat()},
        sheet[2]: {"outcome": "binding_contract", "contract_ends_on": "2031-01-31"},
        sheet[3]: {"outcome": "no_subscription_found"},
        sheet[4]: {"outcome": "other_reason", "message": "Kunden har en skuld.\nRing oss."},
        sheet[5]: {"outcome": "was_already_cancelled", "cancelled_on": "1/2/2026"},
        sheet[6]: {"outcome": "sagts_upp_kanske"},
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, **fills.get(r["case_id"], {})})
    writer.writerow(
        {**rows[0], "case_id": "nobody-here", "outcome": "no_subscription_found"}
        | {k: "" for k in ("access_until", "cancelled_on", "contract_ends_on", "message")}
    )
    filled = tmp_path / "filled.csv"
    filled.write_bytes(out.getvalue().encode("utf-8-sig"))
    row_of = {r["case_id"]: n + 2 for n, r in enumerate(rows)}

    await page.get_by_label("Ifylld fil").set_input_files(str(filled))
    await page.get_by_role("button", name="Ladda upp och svara").click()
    await _until_done(page)
    await expect(page.get_by_test_id("progress")).to_have_text(
        "Klart: 5 registrerade, 0 redan registrerade, 3 avvisade av 8."
    )
    await expect(page.get_by_test_id("blank-rows")).to_contain_text("rader saknade utfall")

    def result_row(case_id: str) -> Locator:
        return page.locator(f'tr[data-case="{case_id}"]')

    for case_id in sheet[:5]:
        await expect(result_row(case_id).get_by_test_id("result")).to_have_text("registrerat")
    bad_date = result_row(sheet[5])
    await expect(bad_date).to_have_attribute("data-row", str(row_of[sheet[5]]))
    await expect(bad_date.get_by_test_id("result")).to_have_text("avvisat")
    await expect(bad_date.get_by_test_id("reason")).to_have_text(
        "kolumn cancelled_on: måste vara ett datum skrivet ÅÅÅÅ-MM-DD, till exempel 2026-12-31"
    )
    await expect(result_row(sheet[6]).get_by_test_id("reason")).to_contain_text(
        "kolumn outcome: måste vara ett av: has_now_been_cancelled"
    )
    await expect(result_row("nobody-here").get_by_test_id("reason")).to_have_text(
        "ni har inget ärende 'nobody-here'"
    )
    await page.screenshot(path=str(artifacts_dir / "bulk-results-sv.png"), full_page=True)

    async with page.expect_download() as results_info:
        await page.get_by_role("link", name="Ladda ner resultaten (CSV)").click()
    results_file = tmp_path / "results.csv"
    await (await results_info.value).save_as(results_file)
    results = {r["case_id"]: r for r in _table(results_file)}
    assert results[sheet[0]]["result"] == "registrerat"
    assert results[sheet[5]]["row"] == str(row_of[sheet[5]])
    assert "ÅÅÅÅ-MM-DD" in results[sheet[5]]["reason"]

    # The same file again: nothing recorded twice, and the page says so.
    await page.get_by_role("link", name="Tillbaka till öppna begäranden").click()
    await page.get_by_label("Ifylld fil").set_input_files(str(filled))
    await page.get_by_role("button", name="Ladda upp och svara").click()
    await _until_done(page)
    await expect(page.get_by_test_id("same-file")).to_contain_text("samma fil")
    await expect(page.get_by_test_id("progress")).to_contain_text("Klart: 0 registrerade")

    # A malformed file is refused as a whole, with its reason, before anything is recorded.
    await page.get_by_role("link", name="Tillbaka till öppna begäranden").click()
    broken = tmp_path / "broken.csv"
    broken.write_text(f"case_id;svar\r\n{sheet[7]};has_now_been_cancelled\r\n", "utf-8")
    await page.get_by_label("Ifylld fil").set_input_files(str(broken))
    await page.get_by_role("button", name="Ladda upp och svara").click()
    await expect(page.get_by_test_id("upload-error")).to_have_text(
        "Filen användes inte och inget registrerades: första raden måste namnge kolumnerna; "
        "saknas: outcome, access_until, cancelled_on, contract_ends_on, message."
    )
    assert (await case_state(stack.client, sheet[7])).answer is None

    # Filters and paging, as a list of thousands is read: by age, and a page at a time.
    await page.goto(f"{stack.base_url}/merchant/settings/requests?lang=sv&age=3")
    await expect(page.get_by_test_id("open-requests")).to_contain_text("Inga begäranden här.")
    monkeypatch.setattr(open_requests, "PAGE_SIZE", 2)
    await page.goto(f"{stack.base_url}/merchant/settings/requests?lang=sv")
    first_page = await page.locator("tr[data-case]").evaluate_all(
        "rows => rows.map(r => r.dataset.case)"
    )
    assert len(first_page) == 2
    await page.get_by_test_id("next-page").click()
    second_page = await page.locator("tr[data-case]").evaluate_all(
        "rows => rows.map(r => r.dataset.case)"
    )
    assert len(second_page) == 2 and not set(first_page) & set(second_page)
    await page.get_by_role("link", name="Besvarade, uppföljning pågår").click()
    await expect(page.locator("tr[data-case]")).to_have_count(2)
    monkeypatch.undo()

    # Webhook merchants: an answer_recorded per answer, and one batch_completed per batch.
    def events() -> list[dict[str, object]] | None:
        bodies = [
            json.loads(r.body) for r in stack.receiver.received if r.path.endswith("/answers")
        ]
        batches = [b for b in bodies if b["type"] == "answers.batch_completed"]
        return bodies if len(batches) >= 3 else None

    try:
        bodies = await eventually(events, what="three answers.batch_completed events")
    except AssertionError:
        print([(r.path, json.loads(r.body)["type"]) for r in stack.receiver.received])
        raise
    completed = [b["data"] for b in bodies if b["type"] == "answers.batch_completed"]
    assert [(c["recorded"], c["refused"], c["total"]) for c in completed] == [  # type: ignore[index]
        (20, 0, 20),
        (5, 3, 8),
        (0, 3, 8),
    ]
    recorded_events = [b for b in bodies if b["type"] == "cancellation.answer_recorded"]

    async def every_answer_event() -> bool:
        got = [
            json.loads(r.body)
            for r in stack.receiver.received
            if r.path.endswith("/answers") and b'"cancellation.answer_recorded"' in r.body
        ]
        return len(got) >= 25

    await eventually(every_answer_event, what="25 answer_recorded events")
    assert len(recorded_events) <= 25


async def test_with_javascript_the_progress_page_refreshes_itself(
    stack: SettingsStack, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from domain.bulk_answers import BatchSource
    from portal import bulk_batches
    from storage.bulk_answers import BulkAnswerBatches, NewItem

    merchant = await stack.add_merchant(locale="sv", timezone=ZONE)
    case_id = f"js-{uuid.uuid4().hex[:6]}"
    await _start(stack, merchant, case_id, "Hooked Plus")
    await _awaiting(stack, merchant, [case_id])
    batch, _ = await BulkAnswerBatches(stack.pool).create(
        batch_id=bulk_batches.new_batch_id(),
        merchant_id=merchant.merchant_id,
        source=BatchSource.PORTAL,
        request_digest="js",
        answered_at=datetime.now(ZoneInfo(ZONE)),
        timezone=ZONE,
        channel="portal",
        responded_by="merchant portal (tests)",
        items=[NewItem(case_id, {"outcome": "no_subscription_found"})],
    )

    async def not_yet(*args: object) -> None:
        """The job is not started while the first page is shown: it shows the batch running."""

    monkeypatch.setattr(bulk_batches, "start_bulk_answers", not_yet)
    async with new_page(browser, java_script_enabled=True) as js_page:
        await _sign_in(stack, js_page, merchant)
        loads: list[str] = []
        js_page.on("load", lambda _: loads.append("load"))
        await js_page.goto(f"{stack.base_url}/merchant/settings/batches/{batch.batch_id}")
        await expect(js_page.get_by_test_id("progress")).to_contain_text("0 klara")
        monkeypatch.undo()
        # No click: the page reloads itself and the next read starts the job.
        await expect(js_page.get_by_test_id("progress")).to_have_text(
            "Klart: 1 registrerade, 0 redan registrerade, 0 avvisade av 1.", timeout=60_000
        )
        assert len(loads) >= 2
