"""Benchmark: the ops console's inbox with many open cases, one of them in triage.

    python -m tests.console.bench_inbox [--open 10000] [--samples 40]

Runs a Temporal dev server (SQLite visibility, in memory) and embedded PostgreSQL of its own,
and renders GET / in process (the console's FastAPI app through httpx's ASGI transport, so
every visibility query, count and SQL query is real; only the TCP hop is left out). Open
cases are started on a task queue no worker polls, with the search attributes a case starts
with (CaseStatus awaiting, MerchantId, RequestedAt): visibility holds them as it holds real
open cases, without 10,000 workflows to run on a shared 2-core machine. Prints p50 and p95
with one case and with --open cases, and their ratio (the baseline is the same page in the
same run).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from console.app import create_app
from console.config import ConsoleSettings
from domain.case import CaseStatus
from storage.db import create_pool, migrate
from storage.embedded import embedded_postgres_module
from tests.helpers.servers import binary as _binary
from tests.helpers.servers import free_port
from workflows import search_attributes as sa
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

NO_WORKER_QUEUE = "bench-console-no-worker"


def attributes(status: CaseStatus, merchant_id: str, at: datetime) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.MERCHANT_ID, merchant_id),
        SearchAttributePair(sa.CASE_STATUS, status.value),
        SearchAttributePair(sa.ESCALATED, False),
        SearchAttributePair(sa.CASE_ROUND, 1),
        SearchAttributePair(sa.REQUESTED_AT, at),
    ]
    return TypedSearchAttributes(pairs)


async def start_open_cases(client: Client, first: int, count: int) -> None:
    gate = asyncio.Semaphore(32)
    now = datetime.now(UTC)

    async def one(i: int) -> None:
        async with gate:
            await client.start_workflow(
                "CancellationWorkflow",
                id=f"case-bench-{i}",
                task_queue=NO_WORKER_QUEUE,
                search_attributes=attributes(
                    CaseStatus.AWAITING, f"m-{i % 50}", now - timedelta(minutes=i)
                ),
            )

    await asyncio.gather(*(one(i) for i in range(first, first + count)))


async def wait_for_visibility(client: Client, expected: int) -> None:
    query = "WorkflowType = 'CancellationWorkflow' AND ExecutionStatus = 'Running'"
    for _ in range(600):
        if (await client.count_workflows(query)).count >= expected:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"visibility never showed {expected} open cases")


async def timings(http: httpx.AsyncClient, samples: int) -> list[float]:
    results = []
    for _ in range(samples):
        began = time.perf_counter()
        page = await http.get("/")
        results.append((time.perf_counter() - began) * 1000)
        assert page.status_code == 200 and 'data-count="triage">1<' in page.text, page.text[:300]
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def main(open_cases: int, samples: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    server = embedded_postgres_module().get_server(tmp / "pg", cleanup_mode="delete")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        port=free_port(),
        dev_server_extra_args=["--http-port", str(free_port()), "--metrics-port", str(free_port())],
    )
    pool = await create_pool(server.get_uri())
    try:
        await migrate(pool)
        client = env.client
        await client.start_workflow(
            "CancellationWorkflow",
            id="case-bench-triage",
            task_queue=NO_WORKER_QUEUE,
            search_attributes=attributes(CaseStatus.NEEDS_TRIAGE, "m-0", datetime.now(UTC)),
        )
        settings = ConsoleSettings(session_secret=SecretStr("bench-" * 8), secure_cookies=False)
        app = create_app(client, pool, settings, "bench-webhook-key", dev_sign_in=True)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
            assert (await http.post("/auth/dev", data={"role": "viewer"})).status_code == 303
            await wait_for_visibility(client, 1)
            await timings(http, 3)  # warm up
            baseline = await timings(http, samples)
            began = time.perf_counter()
            await start_open_cases(client, 0, open_cases)
            await wait_for_visibility(client, open_cases + 1)
            started_in = time.perf_counter() - began
            await timings(http, 3)
            loaded = await timings(http, samples)
        print(f"open cases started in {started_in:.0f} s (visibility caught up)")
        print(f"{'open cases':>12} {'p50 ms':>8} {'p95 ms':>8}")
        print(f"{1:>12} {statistics.median(baseline):>8.1f} {p95(baseline):>8.1f}")
        print(f"{open_cases + 1:>12} {statistics.median(loaded):>8.1f} {p95(loaded):>8.1f}")
        print(f"p95 ratio {p95(loaded) / p95(baseline):.2f} (goal: p95 <= 300 ms)")
    finally:
        await pool.close()
        await env.shutdown()
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=10_000, dest="open_cases")
    parser.add_argument("--samples", type=int, default=40)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.open_cases, arguments.samples))
