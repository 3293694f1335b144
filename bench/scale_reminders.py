"""`python -m bench.scale_reminders --cases 10000`: a docs/SCALE.md prediction, simulated.

docs/SCALE.md predicts the time one worker needs for many reminders falling due in the same
minute from the drain rate the bench measures at 300 (the rate a worker core sustains). This
checks it on the time-skipping server, with the real case worker, as the bench's reminder
phase runs it (bench/reminders.py):

1. calibration: `--calibration` cases (300, the bench's size) fall due together; their drain
   rate, measured here, on this machine, now;
2. prediction: `--cases` ÷ that rate;
3. the simulation: `--cases` open cases, all due at the same instant (one clock jump), timed
   until the last reminder email reached the sink.

It prints a progress line per step and the comparison; the exit status is 1 when the drain took
more than 25 % longer or shorter than predicted.

The prediction holds for a batch the worker keeps in its cache (docs/SCALE.md): `--cache N`
gives the worker a cache of N cases (CANCELFLOW_TEMPORAL__MAX_CACHED_WORKFLOWS, 0.18 MB each);
without it the worker runs with its setting, 500 by default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import reminders
from bench.__main__ import quiet_logs
from bench.bytecode import precompile
from bench.report import percentile
from bench.stack import dev_stack
from tests.helpers.servers import REPO_ROOT

TOLERANCE = 0.25


@dataclass(frozen=True)
class Outcome:
    calibration_rate: float
    predicted_seconds: float
    drained_seconds: float
    lateness_p95: float
    load: tuple[float, float]
    cache: int
    # CPU ms per reminder by process, the calibration's and the simulation's.
    cost: dict[str, tuple[float, float]]

    @property
    def ratio(self) -> float:
        return self.drained_seconds / self.predicted_seconds

    @property
    def within(self) -> bool:
        return abs(self.ratio - 1) <= TOLERANCE


def _say(text: str) -> None:
    print(f"scale: {text}", file=sys.stderr, flush=True)


async def simulate(cases: int, calibration: int) -> Outcome:
    from storage.db import create_pool
    from storage.merchants import MerchantDirectory

    load_before = os.getloadavg()[0]
    folder = REPO_ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="scale-", dir=folder))
    try:
        async with dev_stack(work) as stack:
            pool = await create_pool(stack.database_url)
            try:
                await reminders.seed_reminder_merchant(MerchantDirectory(pool))
            finally:
                await pool.close()
            async with reminders.reminder_server(stack) as server:
                started = time.monotonic()
                warm = await reminders.reminder_drain(stack, server, "case", calibration)
                rate = warm.per_second
                _say(
                    f"calibration: {calibration} reminders drained at {rate:.1f}/s "
                    f"({time.monotonic() - started:.0f} s with opening the cases)"
                )
                predicted = cases / rate
                _say(f"prediction: {cases} reminders in {predicted:.0f} s; opening the cases")
                started = time.monotonic()
                drain = await reminders.reminder_drain(stack, server, "case", cases)
                drained = cases / drain.per_second
                _say(
                    f"simulation: {cases} reminders drained in {drained:.0f} s "
                    f"({time.monotonic() - started:.0f} s with opening the cases)"
                )
        outcome = Outcome(
            calibration_rate=rate,
            predicted_seconds=predicted,
            drained_seconds=drained,
            lateness_p95=percentile(drain.lateness, 0.95),
            load=(load_before, os.getloadavg()[0]),
            cache=stack.settings.temporal.max_cached_workflows,
            cost=_cost(warm, calibration, drain, cases),
        )
    except BaseException:
        _say(f"failed; the run's folder (worker logs) is kept: {work}")
        raise
    shutil.rmtree(work, ignore_errors=True)
    return outcome


def _cost(
    warm: reminders.Drain, calibration: int, drain: reminders.Drain, cases: int
) -> dict[str, tuple[float, float]]:
    """The processes that spent at least 0.1 ms a reminder in either batch."""
    cost = {
        name: (
            warm.cpu_by_process.get(name, 0.0) * 1000 / calibration,
            drain.cpu_by_process.get(name, 0.0) * 1000 / cases,
        )
        for name in warm.cpu_by_process.keys() | drain.cpu_by_process.keys()
    }
    return dict(
        sorted(((n, c) for n, c in cost.items() if max(c) >= 0.1), key=lambda item: -item[1][1])
    )


def report(cases: int, calibration: int, outcome: Outcome) -> str:
    verdict = "within" if outcome.within else "outside"
    return "\n".join(
        [
            f"| reminders due at the same instant | {cases} |",
            "|---|---|",
            f"| the worker's cache (cases) | {outcome.cache} |",
            f"| calibration drain rate ({calibration} due together) | "
            f"{outcome.calibration_rate:.1f} /s |",
            f"| predicted drain time ({cases} ÷ rate) | {outcome.predicted_seconds:.1f} s |",
            f"| simulated drain time | {outcome.drained_seconds:.1f} s |",
            f"| simulated ÷ predicted | {outcome.ratio:.2f} ({verdict} ±{TOLERANCE:.0%}) |",
            f"| lateness p95 of the simulated batch | {outcome.lateness_p95:.1f} s |",
            f"| load average (1 min) before / after | {outcome.load[0]:.2f} / "
            f"{outcome.load[1]:.2f} |",
            *(
                f"| CPU per reminder, {name} (calibration / simulation) | "
                f"{warm:.2f} / {simulated:.2f} ms |"
                for name, (warm, simulated) in outcome.cost.items()
            ),
        ]
    )


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_reminders", description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--calibration", type=int, default=300)
    parser.add_argument("--cache", type=int, help="cases the worker keeps cached")
    options = parser.parse_args(args)
    if options.cache is not None:
        # The bench's workers take their settings from this process's environment.
        os.environ["CANCELFLOW_TEMPORAL__MAX_CACHED_WORKFLOWS"] = str(options.cache)
    quiet_logs()
    _say(f"bytecode {precompile(from_source=False)}")
    outcome = asyncio.run(simulate(options.cases, options.calibration))
    print(report(options.cases, options.calibration, outcome))
    return 0 if outcome.within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
