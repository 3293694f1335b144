"""The intake API, the merchant API and the reply page answer the same for a case whose
history Temporal deleted as they did while Temporal held it (read from the archive)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from cases.client import case_merchant
from domain.case import CaseStatus
from portal.app import create_app
from portal.config import PortalSettings
from portal.context import PortalContext
from storage.api_keys import ApiKeyStore
from storage.archive import ArchiveStore
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.archive import (
    SCENARIOS,
    Archiver,
    Before,
    _run_case,
    delete_from_temporal,
    wait_until_deleted,
)
from tests.helpers.harness import RecordingActivities, make_merchant, running_worker
from workflows.cancellation import workflow_id_for

INTERNAL = {"Authorization": "Bearer dev-internal-key"}


@dataclass
class Portal:
    http: httpx.AsyncClient
    context: PortalContext
    acme: dict[str, str]
    snooper: dict[str, str]


@pytest.fixture
async def portal(encrypted_client: Client, pool: asyncpg.Pool) -> AsyncIterator[Portal]:
    directory = MerchantDirectory(pool)
    await directory.upsert(make_merchant(notice_period_days=1))
    await directory.upsert(make_merchant(merchant_id="snooper", display_name="Snooper"))
    keys = ApiKeyStore(pool)
    acme = (await keys.create("acme", "archive tests")).key
    snooper = (await keys.create("snooper", "archive tests")).key
    app = create_app(encrypted_client, pool, PortalSettings(), "unused-task-queue")
    context = app.state.portal
    assert isinstance(context, PortalContext)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as http:
        yield Portal(
            http,
            context,
            {"Authorization": f"Bearer {acme}"},
            {"Authorization": f"Bearer {snooper}"},
        )


@dataclass(frozen=True)
class Reads:
    intake: tuple[int, str]
    merchant: tuple[int, str]
    snooper: tuple[int, str]
    page: tuple[int, str]


async def _reads(portal: Portal, case: Before) -> Reads:
    http = portal.http

    async def get(path: str, headers: dict[str, str]) -> tuple[int, str]:
        response = await http.get(path, headers=headers)
        return response.status_code, response.text

    signer = portal.context.signer
    token = signer.issue(
        case.case_id,
        case.state.merchant_id,
        case.state.round,
        signer.expiry_for(case.state.requested_at),
    )
    return Reads(
        intake=await get(f"/api/v1/cases/{case.case_id}", INTERNAL),
        merchant=await get(f"/api/v1/merchant/cases/{case.case_id}", portal.acme),
        snooper=await get(f"/api/v1/merchant/cases/{case.case_id}", portal.snooper),
        page=await get(f"/r/{token}?lang=en", {}),
    )


async def _closed_list(portal: Portal, case_ids: set[str]) -> list[dict[str, Any]]:
    """The merchant's closed list (GET /api/v1/merchant/cases) as JSON, only these cases."""
    response = await portal.http.get(
        "/api/v1/merchant/cases", params={"status": "closed", "limit": 500}, headers=portal.acme
    )
    assert response.status_code == 200, response.text
    return [c for c in response.json()["cases"] if c["case_id"] in case_ids]


async def test_apis_and_reply_page_answer_the_same_after_temporal_deleted_the_case(
    encrypted_client: Client, store: ArchiveStore, archiver: Archiver, portal: Portal
) -> None:
    client = encrypted_client
    acts = RecordingActivities(merchants={"acme": make_merchant(notice_period_days=1)})
    unknown = f"case-{uuid.uuid4().hex[:10]}"
    async with running_worker(client, acts) as task_queue:
        cases = [await _run_case(client, task_queue, name) for name in [*SCENARIOS, "failed"]]
        # Closed cases answer their state query on a worker: read them while one runs.
        before = {case.case_id: await _reads(portal, case) for case in cases}
        ours = {c.case_id for c in cases if c.state.merchant_id == "acme"}
        listed_before = await eventually(
            lambda: _closed_list(portal, ours),
            lambda listed: {c["case_id"] for c in listed} == ours,
            what="every case in the merchant's closed list",
        )
        unknown_before = await portal.http.get(
            f"/api/v1/merchant/cases/{unknown}", headers=portal.acme
        )

    for case in cases:
        reads = before[case.case_id]
        assert reads.intake[0] == 200, reads.intake
        assert f'"status":"{case.status.value}"' in reads.intake[1]
        if case.state.merchant_id == "acme":
            assert reads.merchant[0] == 200, reads.merchant
            assert reads.snooper[0] == 404
        # What the reply link shows for a closed case: the recorded answer, or 'closed'.
        expected_page = 200 if case.state.answer is not None else 410
        if case.state.merchant_id == "acme":
            assert reads.page[0] == expected_page, (case.status, reads.page[0])

    result = await archiver.run()
    # The session's server is shared: runs that other modules' cases closed since the last
    # job are archived by this one too, so ours are counted by what the archive holds.
    assert result.written >= sum(len(c.runs) for c in cases) and not result.gone
    for case in cases:
        assert [r.run_id for r in await store.runs_of_case(case.case_id)] == case.runs
    for case in cases:
        await delete_from_temporal(client, workflow_id_for(case.case_id), case.runs)
    await wait_until_deleted(client, [(workflow_id_for(c.case_id), c.runs) for c in cases])

    # No worker runs any more: everything below comes from the archive.
    for case in cases:
        after = await _reads(portal, case)
        assert after == before[case.case_id], case.status
    # The merchant's list of closed cases still has them, with the same status and times.
    assert await _closed_list(portal, ours) == listed_before
    assert {CaseStatus(c["status"]) for c in listed_before} == {
        c.status for c in cases if c.case_id in ours
    }
    snooped_list = await portal.http.get(
        "/api/v1/merchant/cases", params={"status": "closed"}, headers=portal.snooper
    )
    assert not ours & {c["case_id"] for c in snooped_list.json()["cases"]}

    # The same request again, long after: the archived case answers, no second case starts.
    repeated = cases[0]
    archived = await portal.context.history.archived_case(repeated.case_id)
    assert archived is not None
    again = await portal.http.post(
        "/api/v1/cases", json=archived.request.model_dump(mode="json"), headers=INTERNAL
    )
    assert again.status_code == 200, again.text
    assert f'"status":"{repeated.status.value}"' in again.text
    assert await case_merchant(client, repeated.case_id) is None

    answered = next(c for c in cases if c.state.answer is not None)
    page = before[answered.case_id].page[1]
    # Read-only: the recorded answer and the request, no form to answer with.
    assert 'data-testid="recorded-outcome"' in page and "Acme Premium" in page
    assert 'data-testid="reply-form"' not in page
    assert any(c.status is CaseStatus.WITHDRAWN for c in cases)

    # Another merchant's archived case reads like an unknown id.
    unknown_after = await portal.http.get(f"/api/v1/merchant/cases/{unknown}", headers=portal.acme)
    assert unknown_after.status_code == unknown_before.status_code == 404
    for case in cases:
        snooped = before[case.case_id].snooper
        assert snooped == (404, unknown_after.text.replace(unknown, case.case_id))
