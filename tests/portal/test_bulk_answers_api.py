"""POST /api/v1/merchant/answers: 500 answers of every kind in one call, each through its own
case, one result per item in order; the same Idempotency-Key gives the same results again."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.answers import Outcome
from domain.bulk_answers import BatchSource
from domain.case import CaseStatus
from ops.audit import case_timeline, render_text
from portal.api import answers as answers_api
from portal.bulk_batches import new_batch_id
from storage.bulk_answers import BulkAnswerBatches, NewItem
from tests.eventually import eventually
from tests.helpers.portal import FIVE_ANSWERS, PortalStack, _in, answer_url

OWN_CASES = 120
BATCH = "/api/v1/merchant/answers"


async def _start_many(stack: PortalStack, merchant: Any, count: int) -> list[str]:
    slots = asyncio.Semaphore(8)

    async def one() -> str:
        async with slots:
            return await stack.start(merchant)

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _batch(own: list[str], theirs: list[str]) -> list[Any]:
    items: list[Any] = []
    firsts = [{"case_id": c, **FIVE_ANSWERS[i % 5][0]} for i, c in enumerate(own)]
    items += firsts  # 120 answers that record
    items += [dict(first) for first in firsts]  # 120 the same again: already recorded
    # 60 different answers to a case answered in this batch: refused by its validator.
    items += [
        {"case_id": c, "outcome": "has_now_been_cancelled", "access_until": _in(300)}
        if i % 5 != 0
        else {"case_id": c, "outcome": "no_subscription_found"}
        for i, c in enumerate(own[:60])
    ]
    # 50 not found: another merchant's cases and unknown ones, alike.
    items += [{"case_id": c, "outcome": "no_subscription_found"} for c in theirs]
    items += [
        {"case_id": f"nobody-{n}-{uuid.uuid4().hex[:6]}", "outcome": "no_subscription_found"}
        for n in range(50 - len(theirs))
    ]
    # 150 that are no valid answer at all, each for its own reason.
    invalid: list[Any] = [
        {"case_id": own[0], "outcome": "has_now_been_cancelled", "access_until": "1/2/2027"},
        {"case_id": own[1], "outcome": "has_now_been_cancelled"},
        {"case_id": own[2], "outcome": "cancelled_maybe"},
        {"case_id": own[3], "outcome": "other_reason", "message": "   "},
        {"case_id": own[4], "outcome": "was_already_cancelled", "cancelled_on": _in(30)},
        {"case_id": own[5], "outcome": "binding_contract", "contract_ends_on": _in(-30)},
        {"case_id": own[6], "outcome": "no_subscription_found", "surprise": 1},
        "not an object",
        {"outcome": "no_subscription_found"},
        {"case_id": "../../etc", "outcome": "no_subscription_found"},
    ]
    items += [invalid[n % len(invalid)] for n in range(150)]
    assert len(items) == 500
    return items


async def _settled(stack: PortalStack, response: Any, key: dict[str, str]) -> dict[str, Any]:
    """The batch's completed results: at once (200), or read where Location says once a
    batch that outlasted the call's wait (202, as documented) has completed."""
    assert response.status_code in (200, 202), response.text[:2000]
    if response.status_code == 200:
        return dict(response.json())
    location = response.headers["location"]

    async def completed() -> dict[str, Any] | None:
        read = (await stack.http.get(location, headers=key)).json()
        return dict(read) if read["status"] == "completed" else None

    return dict(await eventually(completed, what="the batch to complete", within=240))


async def test_a_batch_of_500_every_kind_and_the_same_key_again(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    other = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    own = await _start_many(stack, merchant, OWN_CASES)
    theirs = await _start_many(stack, other, 5)
    items = _batch(own, theirs)
    headers = {**key, "Idempotency-Key": f"batch-{uuid.uuid4()}"}

    response = await stack.http.post(BATCH, json={"answers": items}, headers=headers, timeout=120)
    first = await _settled(stack, response, key)
    results = first["results"]
    assert [r["index"] for r in results] == list(range(500))
    assert first["status"] == "completed" and first["left"] == 0
    kinds = Counter(r["result"] for r in results)
    assert first["recorded"] == kinds["recorded"] == OWN_CASES, kinds
    # A case's items reach it in the batch's order: its first item is its answer, the same
    # answer again is already recorded, a different one refused by the case.
    assert {r["result"] for r in results[:120]} == {"recorded"}, results[:120]
    assert {r["result"] for r in results[120:240]} == {"already_recorded"}, results[120:240]
    assert {r["result"] for r in results[240:300]} == {"refused"}, results[240:300]

    by_case: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for item, result in zip(items, results, strict=True):
        if isinstance(item, dict) and item.get("case_id") in own:
            by_case.setdefault(item["case_id"], []).append((item, result))
    for case_id in own:
        recorded = [i for i, r in by_case[case_id] if r["result"] == "recorded"]
        assert len(recorded) == 1, (case_id, by_case[case_id])
        state = await stack.state(case_id)
        assert state.answer is not None and state.answer.outcome == recorded[0]["outcome"]
        # The case's audit says it came in bulk, from which batch and item.
        assert state.answer.reference is not None
        assert state.answer.reference.startswith(f"bulk {first['batch_id']} item ")
        assert state.answer.channel.value == "api"

    # The audit ops read says the answer came in bulk, from which batch and item.
    timeline = await case_timeline(stack.client, own[0])
    [received] = [e for e in timeline.entries if e.kind == "answer_received"]
    assert received.details["reference"] == f"bulk {first['batch_id']} item 1"
    assert received.details["channel"] == "api"
    assert f"(ref bulk {first['batch_id']} item 1)" in render_text(timeline)

    # Another merchant's case reads exactly as a single call answers it: not found.
    single = await stack.http.post(
        answer_url(theirs[0]), json={"outcome": "no_subscription_found"}, headers=key
    )
    assert single.status_code == 404
    theirs_result = results[300]
    assert theirs_result["case_id"] == theirs[0]
    assert theirs_result["problem"] == {
        k: single.json()[k] for k in ("status", "title", "detail")
    } | {"errors": None}
    unknown = results[306]
    assert unknown["problem"]["status"] == 404
    assert unknown["problem"]["detail"] == f"you have no case '{unknown['case_id']}'"

    # The invalid items, each refused naming its field and rule.
    def problem(index: int) -> dict[str, Any]:
        result = results[350 + index]
        assert result["result"] == "refused"
        return dict(result["problem"])

    assert "YYYY-MM-DD" in problem(0)["detail"] and problem(0)["status"] == 422
    assert "access_until" in problem(1)["detail"]
    assert "outcome" in problem(2)["detail"]
    assert "message" in problem(3)["detail"]
    assert "cancelled_on" in problem(4)["detail"]
    assert "contract_ends_on" in problem(5)["detail"]
    assert "surprise" in problem(6)["detail"]
    assert problem(7)["status"] == 422
    assert "case_id" in problem(8)["detail"]
    assert problem(9)["status"] == 404
    conflicts = results[240:300]
    assert all(r["problem"]["status"] == 409 for r in conflicts)
    assert all("cannot replace it" in r["problem"]["detail"] for r in conflicts)

    # The same batch again with the same key: the same results, nothing recorded twice.
    again = await stack.http.post(BATCH, json={"answers": items}, headers=headers, timeout=120)
    assert again.status_code == 200
    assert again.json() == first
    # Without the key it is a new batch: every case says its answer is already there.
    fresh = await _settled(
        stack,
        await stack.http.post(BATCH, json={"answers": items[:30]}, headers=key, timeout=120),
        key,
    )
    assert fresh["batch_id"] != first["batch_id"]
    assert {r["result"] for r in fresh["results"]} <= {"already_recorded", "refused"}
    assert fresh["recorded"] == 0
    # The same key with another batch is refused, naming the header.
    reused = await stack.http.post(BATCH, json={"answers": items[:3]}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"

    for case_id in own[:5]:
        state = await stack.wait_for_status(case_id, {CaseStatus.CLOSED, CaseStatus.FOLLOW_UP})
        assert state.answer is not None
        assert state.answer.outcome in set(Outcome)


async def test_a_batch_over_500_or_empty_is_refused_as_a_whole(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    items = [{"case_id": f"c-{n}", "outcome": "no_subscription_found"} for n in range(501)]
    response = await stack.http.post(BATCH, json={"answers": items}, headers=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "answers"
    empty = await stack.http.post(BATCH, json={"answers": []}, headers=key)
    assert empty.status_code == 422
    unauthenticated = await stack.http.post(BATCH, json={"answers": items[:1]})
    assert unauthenticated.status_code == 401


async def test_the_openapi_document_describes_the_batch(stack: PortalStack) -> None:
    document = (await stack.http.get("/api/v1/openapi.json")).json()
    operation = document["paths"][BATCH]["post"]
    assert {"200", "202", "422"} <= set(operation["responses"])
    assert any(p["name"] == "idempotency-key" for p in operation["parameters"])
    assert "answers.batch_completed" in document["webhooks"]
    schemas = document["components"]["schemas"]
    assert {"BatchOut", "ItemResult", "RowProblem", "HasNowBeenCancelledItem"} <= set(schemas)


async def test_a_long_batch_answers_202_and_is_read_where_location_says(
    stack: PortalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    own = await _start_many(stack, merchant, 20)
    monkeypatch.setattr(answers_api, "WAIT_FOR_BATCH", timedelta(0))
    items = [{"case_id": c, "outcome": "no_subscription_found"} for c in own]
    response = await stack.http.post(BATCH, json={"answers": items}, headers=key)
    assert response.status_code == 202, response.text[:500]
    running = response.json()
    assert running["status"] == "running" and running["left"] > 0
    location = response.headers["location"]
    assert location == f"{BATCH}/{running['batch_id']}"

    async def completed() -> dict[str, Any] | None:
        read = (await stack.http.get(location, headers=key)).json()
        return read if read["status"] == "completed" else None

    done = await eventually(completed, what="the batch to complete", within=120)
    assert done["recorded"] == 20 and [r["case_id"] for r in done["results"]] == own
    other = await stack.api_key((await stack.add_merchant()).merchant_id)
    assert (await stack.http.get(location, headers=other)).status_code == 404


async def test_a_batch_stored_by_a_portal_that_stopped_before_starting_it_still_runs(
    stack: PortalStack,
) -> None:
    # The portal stores the batch, then starts its job; stopped in between, the batch waits
    # in PostgreSQL until anything reads it, and the read starts the job.
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    own = await _start_many(stack, merchant, 3)
    answered_at = datetime.now(ZoneInfo(merchant.timezone))
    batch, _ = await BulkAnswerBatches(stack.pool).create(
        batch_id=new_batch_id(),
        merchant_id=merchant.merchant_id,
        source=BatchSource.API,
        request_digest="d",
        answered_at=answered_at,
        timezone=merchant.timezone,
        channel="api",
        responded_by="merchant API (tests)",
        items=[NewItem(c, {"outcome": "no_subscription_found"}) for c in own],
    )

    async def completed() -> dict[str, Any] | None:
        read = await stack.http.get(f"{BATCH}/{batch.batch_id}", headers=key)
        body = read.json()
        return body if body["status"] == "completed" else None

    done = await eventually(completed, what="the stored batch to run", within=120)
    assert done["recorded"] == 3
