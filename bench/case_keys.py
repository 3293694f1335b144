"""Per-case keys against the ring's key alone (issue 20): the happy-path throughput of the real
case, measured by two `cancelflow worker` processes that differ only in
`CANCELFLOW_CODEC__CASE_KEYS`, each with a client of the same codec, alternating which goes
first, in one run. Its answered cases join the honesty checks like every other case.

Each side has a task queue of its own and its own client: the client seals the request under
the case's key (on) or the ring's (off), as a deployment's portal and CLI would.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from temporalio.client import Client

from bench.report import Row
from bench.scenarios import Bench, throughput
from bench.sides import CaseSide
from bench.stack import Stack, WorkerProcess
from workers.temporal_client import data_converter

MEASURE = "case throughput, per-case keys ÷ ring key alone, happy path"
GOAL = "≥ 0.95"
SIDES = ("keys on", "keys off")


@dataclass(frozen=True)
class Sizing:
    repetitions: int
    cases: int
    warmup: int


def _queue(on: bool) -> str:
    return f"bench-keys-{'on' if on else 'off'}"


def _worker(stack: Stack, on: bool) -> WorkerProcess:
    """The real `cancelflow worker`, as Stack.case_worker starts it, with the setting given."""
    env = stack.worker_env(_queue(on)) | {"CANCELFLOW_CODEC__CASE_KEYS": str(on).lower()}
    command = [sys.executable, "-c", "from workers.cli import main; main()", "worker"]
    return WorkerProcess(command, env, stack.folder / f"{_queue(on)}-worker.log")


async def _client(stack: Stack, on: bool) -> Client:
    settings = stack.settings.model_copy(
        update={"codec": stack.settings.codec.model_copy(update={"case_keys": on})}
    )
    return await Client.connect(
        stack.temporal_address, namespace="default", data_converter=data_converter(settings)
    )


async def measure(stack: Stack, bench: Bench, merchant_id: str, sizing: Sizing) -> Row:
    """Cases per second with per-case keys (the row's first side) and without, and the ratio
    of each repetition; `bench.answered` gains every case answered, for the honesty checks."""
    workers: list[WorkerProcess] = []
    watched = stack.sink.workers
    # Only these are watched while waiting: the run's own case and bare workers have stopped.
    stack.sink.workers = workers
    try:
        sides: dict[bool, CaseSide] = {}
        for on in (True, False):  # one after the other: each worker brings up the schedules
            workers.append(_worker(stack, on))
            await workers[-1].until_serving()
            sides[on] = CaseSide(await _client(stack, on), task_queue=_queue(on))
        for on in (True, False):  # warm-up: imports, sandbox, the first keys
            await throughput(bench, sides[on], merchant_id, sizing.warmup)
        rates: dict[bool, list[float]] = {True: [], False: []}
        for rep in range(sizing.repetitions):
            for on in (True, False) if rep % 2 == 0 else (False, True):
                rates[on].append(await throughput(bench, sides[on], merchant_id, sizing.cases))
        for worker in workers:
            worker.check_alive()
    finally:
        for worker in workers:
            worker.signal_stop()
        for worker in workers:
            worker.stop()
        stack.sink.workers = watched
    ratios = [on / off for on, off in zip(rates[True], rates[False], strict=True) if off]
    return Row(MEASURE, GOAL, rates[True], rates[False], ratios, "cases/s", sides=SIDES)
