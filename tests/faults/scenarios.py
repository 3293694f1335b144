"""The faults, one function each: a load, a fault in the middle of it, and the count of what
was lost, duplicated or answered 5xx. Every wait is bounded: what has not arrived by the
deadline is counted lost, and the run goes on."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from temporalio.client import WorkflowExecutionStatus

from cases.client import case_handle, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.common import Channel
from tests.eventually import eventually
from tests.faults.intake import intake_until_accepted, internal_headers
from tests.faults.stack import Stack
from tests.helpers.harness import make_request


@dataclass(frozen=True)
class Size:
    name: str
    cases: int
    """Cases per kill/outage test."""
    outage_s: float
    intakes: int
    intake_copies: int
    """Each case id is sent this many times at once."""
    answers: int
    wait_s: float
    """How long a test waits for its load to finish after the fault."""
    skip: tuple[str, ...] = ()
    """Tests left out of this size (those that wait out a 60 s activity timeout)."""
    hang_s: float = 15.0
    """How long something hangs (tests/faults/hangs.py): past the 10 s in which a request
    must be answered, so a hang is told from a slow answer."""


SIZES = {
    # A killed worker's or server's in-flight email is retried only when its 60 s
    # start-to-close timeout ends, so the kill tests that always hit one are full-size only;
    # CI kills a worker with no activity in flight instead (tests/faults/kill_waiting.py).
    "small": Size(
        "small",
        cases=4,
        outage_s=3,
        intakes=12,
        intake_copies=3,
        answers=10,
        wait_s=90,
        skip=("kill_worker_in_every_stage", "temporal_killed", "three_workers_one_killed"),
    ),
    "full": Size(
        "full",
        cases=100,
        outage_s=60,
        intakes=1000,
        intake_copies=4,
        answers=50,
        wait_s=600,
        hang_s=55,
    ),
}


@dataclass
class Row:
    test: str
    load: str
    fault: str
    lost: int
    duplicated: int
    http_5xx: int | None
    duration_s: float
    note: str = ""
    expected_5xx: int = 0
    """Of http_5xx, the 503s with Retry-After that the fault made the right answer."""


def new_ids(count: int, tag: str) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"f{tag}-{run}-{i:04d}" for i in range(count)]


async def start_cases(stack: Stack, ids: list[str]) -> None:
    client = await stack.client()
    await asyncio.gather(*(start_case(client, make_request(i), "faults") for i in ids))


async def until(condition: Callable[[], object], within: float, what: str) -> bool:
    """Whether condition came to hold within `within` seconds. A fault test counts what did not
    (lost, not closed) and goes on, where `eventually` alone would stop the whole run."""
    try:
        await eventually(condition, what=what, within=within)
    except AssertionError:
        return False
    return True


def arrived(stack: Stack, ids: list[str], kind: str) -> int:
    return sum(1 for i in ids if stack.relay.count(stack.message_id(i, kind)) > 0)


def duplicates(stack: Stack, ids: list[str], kinds: tuple[str, ...]) -> int:
    return sum(
        max(0, stack.relay.count(stack.message_id(i, kind)) - 1) for i in ids for kind in kinds
    )


async def all_arrive(stack: Stack, ids: list[str], kind: str, within: float) -> int:
    """How many never arrived (lost) by the deadline."""
    await until(lambda: arrived(stack, ids, kind) == len(ids), within, f"every {kind} email")
    return len(ids) - arrived(stack, ids, kind)


async def answer_all(stack: Stack, ids: list[str]) -> None:
    client = await stack.client()

    async def answer(case_id: str) -> None:
        await submit_answer(
            client,
            case_id,
            HasNowBeenCancelled(
                access_until=date.today() + timedelta(days=30),
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="fault suite",
            ),
        )

    await asyncio.gather(*(answer(i) for i in ids))


async def closed(stack: Stack, ids: list[str]) -> int:
    client = await stack.client()
    done = 0
    for case_id in ids:
        description = await case_handle(client, case_id).describe()
        done += description.status == WorkflowExecutionStatus.COMPLETED
    return done


# --- the tests ---------------------------------------------------------------------------------


async def kill_worker_in_every_stage(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "k")
    worker = await stack.worker("worker-k1")
    await start_cases(stack, ids)
    # Stage 1: merchant request emails going out.
    await until(
        lambda: arrived(stack, ids, "request") >= len(ids) // 2, size.wait_s, "half the requests"
    )
    worker.kill9()
    worker = await stack.worker("worker-k2")
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    # Stage 2: every case waiting for its merchant; the worker dies idle.
    worker.kill9()
    worker = await stack.worker("worker-k3")
    # Stage 3: answers recorded, customer emails going out.
    answering = asyncio.create_task(answer_all(stack, ids))
    await until(
        lambda: arrived(stack, ids, "customer-outcome") >= len(ids) // 2,
        size.wait_s,
        "half the customer emails",
    )
    worker.kill9()
    worker = await stack.worker("worker-k4")
    await asyncio.wait_for(answering, size.wait_s)
    lost += await all_arrive(stack, ids, "customer-outcome", size.wait_s)
    await until(lambda: _all_closed(stack, ids), size.wait_s, "every case to close")
    not_closed = len(ids) - await closed(stack, ids)
    worker.stop()
    return Row(
        "kill -9 worker in every stage",
        f"{len(ids)} cases",
        "worker killed while requests sent, while idle, while customer emails sent",
        lost + not_closed,
        duplicates(stack, ids, ("request", "customer-outcome")),
        None,
        time.monotonic() - began,
    )


async def _all_closed(stack: Stack, ids: list[str]) -> bool:
    return await closed(stack, ids) == len(ids)


async def smtp_relay_down(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "s")
    worker = await stack.worker("worker-s")
    await stack.relay.stop()
    await start_cases(stack, ids)
    await asyncio.sleep(size.outage_s)
    await stack.relay.start()
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    worker.stop()
    return Row(
        "SMTP relay down",
        f"{len(ids)} cases",
        f"relay down {size.outage_s:g} s",
        lost,
        duplicates(stack, ids, ("request",)),
        None,
        time.monotonic() - began,
    )


async def postgres_down(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "p")
    worker = await stack.worker("worker-p")
    await asyncio.to_thread(stack.postgres.stop)
    try:
        # The intakes come through the portal, which needs the merchant directory.
        intakes = asyncio.create_task(intake_until_accepted(stack, ids, size.wait_s))
        await asyncio.sleep(size.outage_s)
    finally:
        await asyncio.to_thread(stack.postgres.start)
    counts = await intakes
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    notes = [counts.note("while PostgreSQL was down")]
    notes.append("" if worker.alive() else "the worker exited during the outage")
    worker.stop()
    return Row(
        "PostgreSQL stopped",
        f"{len(ids)} cases (HTTP intake)",
        f"PostgreSQL stopped {size.outage_s:g} s",
        lost,
        duplicates(stack, ids, ("request",)),
        counts.all_5xx,
        time.monotonic() - began,
        "; ".join(n for n in notes if n),
        counts.retry_after_503,
    )


async def temporal_killed(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "t")
    late = new_ids(max(1, size.cases // 4), "u")
    worker = await stack.worker("worker-t")
    await start_cases(stack, ids)
    await until(
        lambda: arrived(stack, ids, "request") >= len(ids) // 2, size.wait_s, "half the requests"
    )
    stack.temporal.kill9()
    # More cases arrive through the portal while the server is down.
    intakes = asyncio.create_task(intake_until_accepted(stack, late, size.wait_s))
    await asyncio.sleep(min(size.outage_s, 5))
    await stack.temporal.start()
    counts = await intakes
    lost = await all_arrive(stack, ids + late, "request", size.wait_s)
    notes = [counts.note("while Temporal was down")]
    notes.append("" if worker.alive() else "the worker exited while Temporal was down")
    worker.stop()
    return Row(
        "Temporal server killed and restarted",
        f"{len(ids)} cases + {len(late)} HTTP intakes during the outage",
        "kill -9 of the dev server (SQLite), restarted on the same port",
        lost,
        duplicates(stack, ids + late, ("request",)),
        counts.all_5xx,
        time.monotonic() - began,
        "; ".join(n for n in notes if n),
        counts.retry_after_503,
    )


async def concurrent_intakes(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.intakes // size.intake_copies, "i")
    worker = await stack.worker("worker-i")
    statuses: dict[str, list[int]] = {i: [] for i in ids}
    bodies = {i: make_request(i).model_dump(mode="json") for i in ids}
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(
        base_url=stack.portal_url, headers=internal_headers(), timeout=120, limits=limits
    ) as http:

        async def intake(case_id: str) -> None:
            try:
                response = await http.post("/api/v1/cases", json=bodies[case_id])
                statuses[case_id].append(response.status_code)
            except httpx.HTTPError:
                statuses[case_id].append(599)

        await asyncio.gather(*(intake(i) for i in ids for _ in range(size.intake_copies)))
    created = {i: codes.count(201) for i, codes in statuses.items()}
    errors = sum(1 for codes in statuses.values() for c in codes if c >= 500)
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    twice = sum(max(0, n - 1) for n in created.values())
    worker.stop()
    return Row(
        "concurrent intakes, duplicated ids",
        f"{size.intakes} intakes, {len(ids)} ids x {size.intake_copies}",
        "the same case_id sent concurrently",
        lost,
        twice + duplicates(stack, ids, ("request",)),
        errors,
        time.monotonic() - began,
        f"201 per id: {sorted(set(created.values()))}",
    )


async def concurrent_answers(stack: Stack, size: Size) -> Row:
    import asyncpg

    from storage.api_keys import ApiKeyStore

    began = time.monotonic()
    [case_id] = new_ids(1, "a")
    worker = await stack.worker("worker-a")
    await start_cases(stack, [case_id])
    await all_arrive(stack, [case_id], "request", size.wait_s)
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        key = await ApiKeyStore(pool).create("acme")
    finally:
        await pool.close()
    codes: list[int] = []
    recorded: list[Any] = []
    async with httpx.AsyncClient(
        base_url=stack.portal_url,
        headers={"Authorization": f"Bearer {key.key}"},
        timeout=120,
    ) as http:

        async def answer(n: int) -> None:
            body = {
                "outcome": "has_now_been_cancelled",
                "access_until": (date.today() + timedelta(days=10 + n)).isoformat(),
            }
            try:
                response = await http.post(f"/api/v1/merchant/cases/{case_id}/answer", json=body)
            except httpx.HTTPError:
                codes.append(599)
                return
            codes.append(response.status_code)
            if response.status_code == 200 and response.json().get("recorded"):
                recorded.append(body["access_until"])

        await asyncio.gather(*(answer(n) for n in range(size.answers)))
    lost = await all_arrive(stack, [case_id], "customer-outcome", size.wait_s)
    worker.stop()
    wrong = int(len(recorded) != 1) + int(codes.count(409) != size.answers - 1)
    return Row(
        "concurrent different answers on one case",
        f"{size.answers} answers",
        "all at once, each a different access_until",
        lost + (1 if not recorded else 0),
        max(0, len(recorded) - 1) + duplicates(stack, [case_id], ("customer-outcome",)),
        sum(1 for c in codes if c >= 500),
        time.monotonic() - began,
        f"recorded {len(recorded)}, refused 409 x{codes.count(409)}"
        + (" (UNEXPECTED)" if wrong else ""),
    )


async def three_workers_one_killed(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "w")
    workers = [await stack.worker(f"worker-w{n}") for n in range(3)]
    await start_cases(stack, ids)
    await until(
        lambda: arrived(stack, ids, "request") >= len(ids) // 3,
        size.wait_s,
        "a third of the requests",
    )
    workers[0].kill9()
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    for worker in workers[1:]:
        worker.stop()
    return Row(
        "three workers, one killed",
        f"{len(ids)} cases",
        "kill -9 of one of three workers on one task queue",
        lost,
        duplicates(stack, ids, ("request",)),
        None,
        time.monotonic() - began,
    )


TESTS = [
    kill_worker_in_every_stage,
    smtp_relay_down,
    postgres_down,
    temporal_killed,
    concurrent_intakes,
    concurrent_answers,
    three_workers_one_killed,
]
