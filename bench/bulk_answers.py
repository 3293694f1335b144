"""Issue 21's goals, measured as ratios in one run (not a timed test):

1. an upload of N rows, time until every row has ended, against N single API answers with 50
   in flight, on two sets of N cases of the same merchant in the same stack;
2. the portal's other requests (the merchant API's case list) while the upload runs, p99,
   against the same requests at rest;
3. what the portal holds in memory to take a 10,000-row upload (parsing and checking every
   row, the work the portal does before the job takes over), measured with tracemalloc: a
   proxy for the portal's RSS growth, since the portal and worker share this process here.

    python -m bench.bulk_answers --rows 300

By default the worker and the portal run each in its own process on the fault suite's stack
(tests/faults/stack.py), the worker at nice 10 as its systemd unit runs it on a shared host
(`--worker-nice 0` to compare). `--in-process` uses the merchant-settings tests' stack
(tests/integrations/portal_stack.py): a Temporal dev server, embedded PostgreSQL, the mail
sink, the real worker and portal in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import shutil
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.report import percentile
from bench.stack import postgres
from cases.client import case_handle, case_state
from domain.bulk_answers import ANSWER_COLUMNS, BatchCounts, parse_upload
from domain.case import CaseStatus
from domain.common import Channel
from domain.merchant import Merchant
from portal.bulk_batches import checked_item
from portal.merchant_settings.deps import SESSION_COOKIE
from storage.api_keys import ApiKeyStore
from storage.bulk_answers import BulkAnswerBatches
from storage.merchant_sessions import MerchantSessions
from tests.eventually import eventually
from tests.helpers.servers import binary, free_port
from tests.integrations.portal_stack import SettingsStack, settings_stack
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

ZONE = "Europe/Stockholm"


async def _bounded(limit: int, jobs: list[Callable[[], Awaitable[object]]]) -> None:
    slots = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[object]]) -> None:
        async with slots:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


async def _open_cases(stack: SettingsStack, merchant: Merchant, count: int, tag: str) -> list[str]:
    ids = [f"b{tag}-{uuid.uuid4().hex[:6]}-{n:05d}" for n in range(count)]
    await _bounded(16, [partial(stack.start, merchant, c) for c in ids])

    async def waiting(case_id: str) -> bool:
        return (await case_state(stack.client, case_id)).status is CaseStatus.AWAITING

    await _bounded(16, [partial(eventually, partial(waiting, c), what=c, within=600) for c in ids])
    return ids


async def _closed(client: Client, ids: list[str]) -> None:
    """Until every case has run its course (its customer told, its workflow completed)."""

    async def completed(case_id: str) -> bool:
        description = await case_handle(client, case_id).describe()
        return description.status == WorkflowExecutionStatus.COMPLETED

    await _bounded(8, [partial(eventually, partial(completed, c), what=c, within=900) for c in ids])


def _file(ids: list[str]) -> bytes:
    until = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=30)).isoformat()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["case_id", *ANSWER_COLUMNS])
    for case_id in ids:
        writer.writerow([case_id, "has_now_been_cancelled", until, "", "", ""])
    return ("\ufeff" + out.getvalue()).encode()


CASE_LIST = "/api/v1/merchant/cases?limit=20"
# The portal's own route with no Temporal or PostgreSQL behind it: what the portal process
# alone adds under the upload, beside the list (a visibility query on the Temporal server).
PORTAL_ONLY = "/healthz"
# About 300 requests, so the p99 at rest is not just the slowest of a few dozen.
AT_REST_SECONDS = 30


async def _latencies(
    http: httpx.AsyncClient, key: dict[str, str], stop: asyncio.Event, path: str = CASE_LIST
) -> list[float]:
    seen: list[float] = []
    while not stop.is_set():
        began = time.perf_counter()
        response = await http.get(path, headers=key)
        response.raise_for_status()
        seen.append(time.perf_counter() - began)
        await asyncio.sleep(0.05)
    return seen


def upload_memory(rows: int) -> float:
    """MiB the portal allocates at its peak to read and check an upload of `rows` rows."""
    data = _file([f"c-{n:06d}" for n in range(rows)])
    answered_at = datetime.now(ZoneInfo(ZONE))
    tracemalloc.start()
    parsed = parse_upload(data)
    items = [
        checked_item(r.case_id, r.fields, answered_at, Channel.PORTAL, "bench", r.problems)
        for r in parsed.rows
    ]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(items) == rows
    return peak / 2**20


async def run(rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        port=free_port(),
        dev_server_extra_args=["--http-port", str(free_port()), "--metrics-port", str(free_port())],
    )
    try:
        async with postgres(folder) as url, settings_stack(env, url, folder) as stack:
            merchant = await stack.add_merchant(timezone=ZONE, notify_by="email")
            key = {
                "Authorization": "Bearer "
                + (await ApiKeyStore(stack.pool).create(merchant.merchant_id, "bench")).key
            }
            sessions = MerchantSessions(stack.pool, timedelta(minutes=15), timedelta(hours=8))
            link = await sessions.issue_link(
                merchant.merchant_id, str(merchant.cancellation_emails[0])
            )
            session, _ = await sessions.redeem_link(link)
            singles = await _open_cases(stack, merchant, rows, "s")
            uploaded = await _open_cases(stack, merchant, rows, "u")
            async with httpx.AsyncClient(
                base_url=stack.base_url, timeout=120, headers={"Origin": stack.base_url}
            ) as http:
                measured = await _phases(
                    http,
                    key,
                    session,
                    singles,
                    uploaded,
                    BulkAnswerBatches(stack.pool),
                    stack.client,
                )
    finally:
        await env.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    _print("in one process", rows, measured)
    print(f"3. reading and checking 10,000 rows: peak {upload_memory(10_000):.1f} MiB (goal <= 50)")


async def _csrf(http: httpx.AsyncClient, session: str) -> str:
    import re

    page = await http.get("/merchant/settings/requests", cookies={SESSION_COOKIE: session})
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def run_processes(rows: int, worker_nice: int) -> None:
    """The same goals with the worker and the portal each in its own process (`cancelflow
    worker`, `cancelflow portal`) on a persisting Temporal server: the portal's p99 and RSS
    are the portal's own. `worker_nice` starts the worker at that CPU priority, as a shared
    host's deployment does (deploy/systemd/cancelflow-worker.service)."""
    import asyncpg
    import psutil

    from cases.client import start_case
    from tests.faults.scenarios import all_arrive
    from tests.faults.stack import fault_stack
    from tests.helpers.harness import make_request

    folder = Path(tempfile.mkdtemp(prefix="bench-bulk-p-"))
    try:
        async with fault_stack(folder / "stack") as stack:
            await stack.worker(nice=worker_nice)
            portal = await stack.portal()
            rss = psutil.Process(portal.process.pid)
            client = await stack.client()
            pool = await asyncpg.create_pool(stack.database_url)
            try:
                key = {
                    "Authorization": "Bearer "
                    + (await ApiKeyStore(pool).create("acme", "bench")).key
                }
                sessions = MerchantSessions(pool, timedelta(minutes=15), timedelta(hours=8))
                link = await sessions.issue_link("acme", "cancellations@acme.example")
                session, _ = await sessions.redeem_link(link)
                tag = uuid.uuid4().hex[:6]
                singles = [f"bs-{tag}-{n:05d}" for n in range(rows)]
                uploaded = [f"bu-{tag}-{n:05d}" for n in range(rows)]
                await _bounded(
                    16,
                    [
                        partial(start_case, client, make_request(c), "faults")
                        for c in singles + uploaded
                    ],
                )
                assert await all_arrive(stack, singles + uploaded, "request", 1800) == 0
                async with httpx.AsyncClient(
                    base_url=stack.portal_url, timeout=300, headers={"Origin": stack.portal_url}
                ) as http:
                    rest_rss = rss.memory_info().rss
                    measured = await _phases(
                        http,
                        key,
                        session,
                        singles,
                        uploaded,
                        BulkAnswerBatches(pool),
                        client,
                    )
                    csrf = await _csrf(http, session)
                    # 10,000 rows (of cases that do not exist: the portal's part is the same).
                    peak = rest_rss
                    sampling = asyncio.Event()

                    async def sample() -> None:
                        nonlocal peak
                        while not sampling.is_set():
                            peak = max(peak, rss.memory_info().rss)
                            await asyncio.sleep(0.02)

                    sampler = asyncio.create_task(sample())
                    # The list meanwhile: the portal reads and checks the whole file first.
                    listing = asyncio.Event()
                    probe = asyncio.create_task(_latencies(http, key, listing))
                    await asyncio.sleep(0.2)
                    big = [f"nobody-{tag}-{n:05d}" for n in range(10_000)]
                    began = time.perf_counter()
                    await _upload(http, session, csrf, _file(big))
                    big_s = time.perf_counter() - began
                    sampling.set()
                    listing.set()
                    await sampler
                    beside_big = await probe
            finally:
                await pool.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _print(f"separate processes, the worker at nice {worker_nice}", rows, measured)
    print(
        f"3. portal RSS during a 10,000-row upload: +{(peak - rest_rss) / 2**20:.1f} MiB over "
        f"{rest_rss / 2**20:.0f} MiB at rest (goal <= +50 MB)"
    )
    print(
        f"   the case list beside that upload's request ({big_s:.1f} s): slowest "
        f"{max(beside_big) * 1000:.0f} ms of {len(beside_big)}, at rest p99 "
        f"{percentile(measured.at_rest, 0.99) * 1000:.0f} ms"
    )


async def _upload(http: httpx.AsyncClient, session: str, csrf: str, data: bytes) -> str:
    response = await http.post(
        "/merchant/settings/requests/upload",
        files={"file": ("answers.csv", data, "text/csv")},
        data={"csrf_token": csrf},
        cookies={SESSION_COOKIE: session},
    )
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].split("/")[-1].split("?")[0]


@dataclass(frozen=True)
class Measured:
    at_rest: list[float]
    during: list[float]
    portal_at_rest: list[float]
    portal_during: list[float]
    single_s: float
    upload_s: float
    counts: BatchCounts


async def _phases(
    http: httpx.AsyncClient,
    key: dict[str, str],
    session: str,
    singles: list[str],
    uploaded: list[str],
    batches: BulkAnswerBatches,
    client: Client,
) -> Measured:
    """The case list at rest; single answers 50 in flight; the upload, with the list again.

    The upload starts only once the single answers' cases have settled (customer told, case
    closed), so the list's figures during the upload carry the upload's load alone."""
    stop = asyncio.Event()
    probe = asyncio.create_task(_latencies(http, key, stop))
    beside = asyncio.create_task(_latencies(http, key, stop, PORTAL_ONLY))
    await asyncio.sleep(AT_REST_SECONDS)
    stop.set()
    at_rest, portal_at_rest = await probe, await beside

    until = (datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=30)).isoformat()
    body = {"outcome": "has_now_been_cancelled", "access_until": until}
    began = time.perf_counter()
    await _bounded(
        50,
        [
            partial(http.post, f"/api/v1/merchant/cases/{c}/answer", json=body, headers=key)
            for c in singles
        ],
    )
    single_s = time.perf_counter() - began
    await _closed(client, singles)

    csrf = await _csrf(http, session)
    stop = asyncio.Event()
    probe = asyncio.create_task(_latencies(http, key, stop))
    beside = asyncio.create_task(_latencies(http, key, stop, PORTAL_ONLY))
    began = time.perf_counter()
    batch_id = await _upload(http, session, csrf, _file(uploaded))

    async def ended() -> bool:
        return (await batches.counts(batch_id)).left == 0

    await eventually(ended, what="every row to end", within=3600)
    upload_s = time.perf_counter() - began
    stop.set()
    during, portal_during = await probe, await beside
    return Measured(
        at_rest,
        during,
        portal_at_rest,
        portal_during,
        single_s,
        upload_s,
        await batches.counts(batch_id),
    )


def _print(how: str, rows: int, m: Measured) -> None:
    rest_p99, during_p99 = percentile(m.at_rest, 0.99), percentile(m.during, 0.99)
    print(
        f"{how}; rows: {rows}; upload ended {m.counts.recorded} recorded, "
        f"{m.counts.refused} refused"
    )
    print(
        f"1. upload {m.upload_s:.1f} s / {rows} single answers (50 in flight) "
        f"{m.single_s:.1f} s = {m.upload_s / m.single_s:.2f} (goal <= 1.0)"
    )
    print(
        f"2. case list p99 during the upload {during_p99 * 1000:.0f} ms / at rest "
        f"{rest_p99 * 1000:.0f} ms = {during_p99 / rest_p99:.2f} (goal <= 2; "
        f"{len(m.during)} and {len(m.at_rest)} requests)"
    )
    portal_rest, portal_during = (
        percentile(m.portal_at_rest, 0.99),
        percentile(m.portal_during, 0.99),
    )
    print(
        f"   beside it, {PORTAL_ONLY} (the portal alone) p99 {portal_during * 1000:.1f} ms / "
        f"{portal_rest * 1000:.1f} ms = {portal_during / portal_rest:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="worker and portal in this process (quicker; p99 and memory are then shared)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="the worker's CPU priority (nice), separate processes only; 10 as "
        "deploy/systemd/cancelflow-worker.service runs it, 0 to compare",
    )
    args = parser.parse_args()
    asyncio.run(run(args.rows) if args.in_process else run_processes(args.rows, args.worker_nice))


if __name__ == "__main__":
    main()
