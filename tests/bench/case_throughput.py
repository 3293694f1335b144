"""Benchmark: cases per second of CancellationWorkflow against a bare case-shaped workflow.

    .venv/bin/python -m tests.bench.case_throughput [--cases 300] [--concurrency 100]

Both run in the same process, on the same fresh in-memory Temporal dev server, with
activities that do no I/O, so the ratio isolates what our workflow costs over the minimum
(the domain validation, search-attribute upserts, timers, the Update round trip). Numbers
on their own depend on the machine; compare the ratio between commits.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.answers import HasNowBeenCancelled
from domain.common import Channel
from tests.bench.baseline_workflow import BareCaseWorkflow, bare_step
from tests.workflows.harness import RecordingActivities, make_merchant, make_request
from workflows.cancellation import CancellationWorkflow
from workflows.client import case_handle, start_case, submit_answer
from workflows.sandbox import workflow_runner
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


async def _bounded(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run one(i) for i in range(count), at most `concurrency` at once; returns seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with gate:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(count)))
    return time.perf_counter() - started


async def bare_cases(client: Client, count: int, concurrency: int) -> float:
    task_queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCaseWorkflow],
        activities=[bare_step],
        workflow_runner=workflow_runner(),
    ):

        async def one(i: int) -> None:
            handle = await client.start_workflow(
                BareCaseWorkflow.run,
                f"bare-{i}",
                id=f"bare-{task_queue}-{i}",
                task_queue=task_queue,
            )
            await handle.signal(BareCaseWorkflow.answer)
            await handle.result()

        return await _bounded(count, concurrency, one)


async def real_cases(client: Client, count: int, concurrency: int) -> float:
    task_queue = f"bench-case-{uuid.uuid4().hex[:6]}"
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[CancellationWorkflow],
        activities=acts.functions(),  # type: ignore[arg-type]
        workflow_runner=workflow_runner(),
    ):

        async def one(i: int) -> None:
            request = make_request(case_id=f"bench-{task_queue}-{i}")
            await start_case(client, request, task_queue)
            answer = HasNowBeenCancelled(
                access_until=(datetime.now(UTC) + timedelta(days=30)).date(),
                answered_at=datetime.now(UTC),
                channel=Channel.API,
                responded_by="bench",
            )
            while True:
                try:
                    await submit_answer(client, request.case_id, answer)
                    break
                except Exception:  # the request email is not out yet: answer a moment later
                    await asyncio.sleep(0.05)
            await case_handle(client, request.case_id).result()

        return await _bounded(count, concurrency, one)


async def main(cases: int, concurrency: int) -> None:
    temporal = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal,
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
    )
    try:
        # Warm up both (imports, sandbox, server caches) before measuring.
        await bare_cases(env.client, 10, 10)
        await real_cases(env.client, 10, 10)
        bare = await bare_cases(env.client, cases, concurrency)
        real = await real_cases(env.client, cases, concurrency)
    finally:
        await env.shutdown()
    print(f"cases: {cases}, concurrency: {concurrency}")
    print(f"baseline (bare case-shaped workflow): {cases / bare:7.1f} cases/s")
    print(f"CancellationWorkflow:                 {cases / real:7.1f} cases/s")
    print(f"time per case relative to the baseline: {real / bare:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.concurrency))
