"""The upload form over HTTP, now that the file is read and checked in a thread: a file is
stored and answered as before, and one refused as a whole (a NUL byte, no row answered) is
still refused with its reason (the refusal crosses the thread) before anything is stored."""

from __future__ import annotations

import uuid

import httpx

from domain.bulk_answers import RowResult
from storage.bulk_answers import BulkAnswerBatches
from tests.eventually import eventually
from tests.helpers.settings_portal import csrf_of, merchant_with_link
from tests.integrations.portal_stack import SettingsStack

HEADER = "case_id,outcome,access_until,cancelled_on,contract_ends_on,message\r\n"


async def test_an_upload_read_in_a_thread_is_answered_and_a_bad_file_still_refused(
    stack: SettingsStack,
) -> None:
    merchant, token = await merchant_with_link(stack)
    nobody = f"u-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=stack.base_url, headers=stack.own_origin) as http:
        await http.post(f"/merchant/sign-in/{token}")
        page = await http.get("/merchant/settings/requests")
        form = {"csrf_token": csrf_of(page.text)}

        async def upload(text: str) -> httpx.Response:
            files = {"file": ("answers.csv", text.encode(), "text/csv")}
            return await http.post("/merchant/settings/requests/upload", data=form, files=files)

        for refused in (f"{HEADER}{nobody},has_now_been_cancelled,\x00,,,\r\n", f"{HEADER}"):
            response = await upload(refused)
            assert response.status_code == 422
            assert "nothing was recorded" in response.text
        batches = BulkAnswerBatches(stack.pool)
        assert await batches.recent(merchant.merchant_id) == []

        accepted = await upload(
            f"{HEADER}{nobody},has_now_been_cancelled,31/12/2030,,,\r\n"
            f"{nobody}x,has_now_been_cancelled,2030-12-31,,,\r\n"
        )
        assert accepted.status_code == 303
        batch_id = accepted.headers["location"].split("/")[-1].split("?")[0]

        async def ended() -> bool:
            return (await batches.counts(batch_id)).left == 0

        await eventually(ended, what="both rows to end", within=60)
        results = await batches.results(batch_id)
        assert [r.result for r in results] == [RowResult.REFUSED, RowResult.REFUSED]
        problems = [r.problem for r in results]
        assert problems[0] is not None and problems[0].errors
        assert problems[0].errors[0].field == "access_until"
        assert problems[1] is not None and problems[1].status == 404
