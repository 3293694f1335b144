"""One benchmark run: every measure, both sides alternating, honesty checks, the report."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from bench import case_keys, memory, reminders
from bench.honesty import check
from bench.report import Report, Row, machine, percentile
from bench.scenarios import Bench, PortalAnswers, latency, throughput
from bench.sides import BareSide, CaseSide, Side, bench_merchant
from bench.stack import CASE_QUEUE, Stack, dev_stack
from tests.helpers.servers import REPO_ROOT, binary


@dataclass(frozen=True)
class Size:
    name: str
    repetitions: int
    throughput_cases: int
    serial_answers: int
    concurrent_merchants: int
    open_cases: int
    reminders: int
    think_seconds: float
    warmup: int
    rss_settle_seconds: float


SIZES = {
    # Two repetitions still alternate which side goes first; the suite's time is CPU-bound.
    "tiny": Size("tiny", 2, 3, 3, 5, 3, 3, 0.1, 1, 0.5),
    # Sized to finish in about ten minutes on a shared 2-core machine; --open-cases 10000
    # gives the memory row (about 15 more minutes per repetition and side).
    "full": Size("full", 3, 150, 30, 50, 1000, 300, 0.5, 20, 3.0),
}


def _ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def _alternating(rep: int, case: Side, bare: Side) -> tuple[Side, Side]:
    return (case, bare) if rep % 2 == 0 else (bare, case)


async def _pairs(
    size: Size, case: Side, bare: Side, one: Callable[[Side], object]
) -> dict[str, list[float]]:
    """Run `one(side)` for both sides, alternating which goes first, size.repetitions times."""
    results: dict[str, list[float]] = {"case": [], "bare": []}
    for rep in range(size.repetitions):
        for side in _alternating(rep, case, bare):
            value = await one(side)  # type: ignore[misc]
            results[side.name].append(value)
    return results


def _ratios(case: list[float], bare: list[float]) -> list[float]:
    return [c / b for c, b in zip(case, bare, strict=True) if b]


async def run(
    size: Size,
    output: Path | None,
    folder: Path | None = None,
    *,
    bytecode: str = "not checked",
    progress: TextIO | None = None,
) -> Report:
    from portal.service import running_portal
    from storage.api_keys import ApiKeyStore
    from storage.db import create_pool
    from storage.merchants import MerchantDirectory

    load_before = os.getloadavg()
    started = time.monotonic()
    report = Report(size=_describe(size), bytecode=bytecode, progress=progress)
    work = folder or Path(tempfile.mkdtemp(prefix="bench-", dir=_var()))
    try:
        async with dev_stack(work) as stack:
            pool = await create_pool(stack.database_url)
            try:
                merchants = [bench_merchant(f"bench-m{i:02d}") for i in range(max(50, 1))]
                directory = MerchantDirectory(pool)
                for merchant in [*merchants, reminders.REMINDER_MERCHANT]:
                    await directory.upsert(merchant)
                store = ApiKeyStore(pool)
                keys = {
                    m.merchant_id: (await store.create(m.merchant_id, "bench")).key
                    for m in merchants
                }
                async with (
                    running_portal(stack.settings.portal, stack.client, pool, CASE_QUEUE) as url,
                    httpx.AsyncClient(base_url=url, timeout=120) as http,
                ):
                    portal = PortalAnswers(http, keys)
                    await _dev_server_measures(
                        stack,
                        size,
                        report,
                        portal,
                        merchants[0].merchant_id,
                        [m.merchant_id for m in merchants],
                    )
            finally:
                await pool.close()
            # Memory is not timed: the reminder phase's server and workers start meanwhile.
            fresh = memory.FreshWorkers(stack, size.repetitions)
            try:
                async with reminders.reminder_server(stack) as server:
                    rss = await memory.worker_rss(
                        stack,
                        fresh,
                        merchants[0].merchant_id,
                        size.open_cases,
                        size.rss_settle_seconds,
                    )
                    report.rows.append(
                        Row(
                            f"worker RSS with {size.open_cases} open waiting cases (fresh worker)",
                            "≤ 300 MB at 10,000",
                            rss["case"],
                            rss["bare"],
                            _ratios(rss["case"], rss["bare"]),
                            "MB",
                            0,
                        )
                    )
                    report.mark("worker RSS")
                    await _reminder_measures(stack, server, size, report)
            finally:
                fresh.stop()
        report.mark("reminders")
        report.machine = machine(binary("temporal"), load_before)
        report.seconds = time.monotonic() - started
    finally:
        if folder is None:
            shutil.rmtree(work, ignore_errors=True)
    if output is not None:
        from bench.report import write_into

        write_into(output, report)
    return report


def _var() -> Path:
    path = REPO_ROOT / "var" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _describe(size: Size) -> str:
    return (
        f"`{size.name}` size: {size.repetitions} repetitions alternating the sides; "
        f"{size.throughput_cases} cases per throughput run, {size.serial_answers} answers one "
        f"at a time, {size.concurrent_merchants} concurrent merchants, {size.open_cases} open "
        f"cases, {size.reminders} reminders; think time {size.think_seconds} s"
    )


async def _dev_server_measures(
    stack: Stack,
    size: Size,
    report: Report,
    portal: PortalAnswers,
    merchant_id: str,
    merchant_ids: list[str],
) -> None:
    bench = Bench(stack.client, stack.sink, size.think_seconds, [])
    case, bare = CaseSide(stack.client), BareSide(stack.client)
    workers = [stack.case_worker(), stack.bare_worker()]
    stack.sink.workers = workers
    try:
        for side in (case, bare):  # warm-up: imports, sandbox, server caches
            await throughput(bench, side, merchant_id, size.warmup)
        report.mark("start and warm-up")
        rate = await _pairs(
            size, case, bare, lambda s: throughput(bench, s, merchant_id, size.throughput_cases)
        )
        report.rows.append(
            Row(
                "case throughput ÷ bare, happy path (answer after the merchant email)",
                "≥ 1.0",
                rate["case"],
                rate["bare"],
                _ratios(rate["case"], rate["bare"]),
                "cases/s",
            )
        )

        async def answers(side: Side, concurrent: bool) -> list[float]:
            ids = (
                merchant_ids[: size.concurrent_merchants]
                if concurrent
                else ([merchant_id] * size.serial_answers)
            )
            via = portal if side is case else None
            return _ms(await latency(bench, side, ids, via, concurrent))

        report.mark("throughput")
        for concurrent, label in (
            (False, "one merchant at a time"),
            (True, f"{size.concurrent_merchants} concurrent merchants"),
        ):
            samples: dict[str, list[list[float]]] = {"case": [], "bare": []}

            async def one(
                side: Side,
                concurrent: bool = concurrent,
                samples: dict[str, list[list[float]]] = samples,
            ) -> float:
                samples[side.name].append(await answers(side, concurrent))
                return 0.0

            await _pairs(size, case, bare, one)
            for share, name, goal in ((0.5, "p50", "—"), (0.99, "p99", "≤ 1.3×")):
                c = [percentile(s, share) for s in samples["case"]]
                b = [percentile(s, share) for s in samples["bare"]]
                report.rows.append(
                    Row(
                        f"merchant answer through the API ÷ a bare Update, {label}, {name}",
                        goal,
                        c,
                        b,
                        _ratios(c, b),
                        "ms",
                        1,
                    )
                )
        for w in workers:
            w.check_alive()
    finally:
        for w in workers:
            w.signal_stop()
        for w in workers:
            w.stop()
    report.mark("answer latency")
    keys = case_keys.Sizing(size.repetitions, size.throughput_cases, size.warmup)
    report.rows.append(await case_keys.measure(stack, bench, merchant_id, keys))
    report.mark("case keys")
    honesty = await check(stack.client, stack.sink, bench.answered)
    events = honesty.events
    report.rows.insert(
        1,
        Row(
            "history events, happy path",
            "≤ 25",
            [float(e) for e in events["case"]],
            [float(e) for e in events["bare"]],
            [statistics.median(events["case"]) / statistics.median(events["bare"])]
            if events["case"] and events["bare"]
            else [],
            "events",
            0,
        ),
    )
    actions = honesty.actions
    report.rows.insert(
        2,
        Row(
            "billable Temporal Cloud actions, happy path (bench/actions.py)",
            "≤ bare + 2",
            [float(a) for a in actions["case"]],
            [float(a) for a in actions["bare"]],
            [statistics.median(actions["case"]) / statistics.median(actions["bare"])]
            if actions["case"] and actions["bare"]
            else [],
            "actions",
            0,
        ),
    )
    report.honesty.append(
        f"{honesty.checked['case']} case and {honesty.checked['bare']} bare happy paths checked "
        "(merchant email before the answer, timer started before the Update, customer told, "
        f"completed, every activity in its first attempt): {honesty.problem_count} problems"
    )
    report.honesty += honesty.problems
    report.honest = honesty.ok

    report.mark("honesty checks")


async def _reminder_measures(
    stack: Stack, server: reminders.ReminderServer, size: Size, report: Report
) -> None:
    drains: dict[str, list[reminders.Drain]] = {"case": [], "bare": []}
    for rep in range(size.repetitions):
        for name in ("case", "bare") if rep % 2 == 0 else ("bare", "case"):
            drains[name].append(await reminders.reminder_drain(stack, server, name, size.reminders))
    c = [d.per_second for d in drains["case"]]
    b = [d.per_second for d in drains["bare"]]
    report.rows.append(
        Row(
            f"{size.reminders} reminders falling due together (time-skipping server), drain rate",
            "≥ bare timer→activity rate",
            c,
            b,
            _ratios(c, b),
            "/s",
            1,
        )
    )
    c = [percentile(d.lateness, 0.95) for d in drains["case"]]
    b = [percentile(d.lateness, 0.95) for d in drains["bare"]]
    report.rows.append(
        Row(
            f"{size.reminders} reminders falling due together, lateness p95",
            "as bare",
            c,
            b,
            _ratios(c, b),
            "s",
            2,
        )
    )
