"""Worker memory with many open waiting workflows: a fresh worker per repetition and side.

Each worker has a task queue of its own, so none sees another's workflows, and all start
early: their imports overlap the other measurements, which is harmless for a memory figure
(this phase times nothing). Case workers start one after the other: each `cancelflow
worker` brings the schedules up to its task queue as it starts, and two at once would race.
A worker is read a settle time after its last merchant email, while the next one opens its
cases, then told to stop; all are reaped at the end.
"""

from __future__ import annotations

import asyncio

from bench.scenarios import Bench, open_cases
from bench.sides import BareSide, CaseSide, Side
from bench.stack import Stack, WorkerProcess


class FreshWorkers:
    """The workers of the memory phase, started as soon as this is made."""

    def __init__(self, stack: Stack, repetitions: int) -> None:
        self._stack = stack
        # (side on its own task queue, its bare worker or None for a case worker), in order:
        # the sides alternate which goes first, as every other measure does.
        self.plan: list[tuple[Side, WorkerProcess | None]] = []
        case_queues: list[str] = []
        for rep in range(repetitions):
            for name in ("case", "bare") if rep % 2 == 0 else ("bare", "case"):
                queue = f"bench-rss-{name}-{rep}"
                if name == "case":
                    self.plan.append((CaseSide(stack.client, task_queue=queue), None))
                    case_queues.append(queue)
                else:
                    worker = stack.bare_worker(None, queue)
                    self.plan.append((BareSide(stack.client, task_queue=queue), worker))
        self.case_workers: list[WorkerProcess] = []
        self._starting = asyncio.create_task(self._start_case_workers(case_queues))

    async def _start_case_workers(self, queues: list[str]) -> None:
        for queue in queues:
            self.case_workers.append(self._stack.case_worker(None, queue))
            await self.case_workers[-1].until_serving()

    async def case_worker(self, index: int) -> WorkerProcess:
        while len(self.case_workers) <= index:
            if self._starting.done():
                self._starting.result()
            await asyncio.sleep(0.05)
        return self.case_workers[index]

    def stop(self) -> None:
        self._starting.cancel()
        for worker in [*self.case_workers, *(w for _, w in self.plan if w is not None)]:
            worker.stop()


async def worker_rss(
    stack: Stack, workers: FreshWorkers, merchant_id: str, open_count: int, settle: float
) -> dict[str, list[float]]:
    """VmRSS (MB) of each fresh worker with `open_count` open cases, per side in order."""
    bench = Bench(stack.client, stack.sink, 0.0, [])
    readings: list[asyncio.Task[float]] = []
    names: list[str] = []

    async def read(worker: WorkerProcess) -> float:
        await asyncio.sleep(settle)
        worker.check_alive()
        rss = worker.rss_mb()
        worker.signal_stop()
        return rss

    try:
        for side, bare_worker in workers.plan:
            worker = bare_worker or await workers.case_worker(names.count("case"))
            stack.sink.workers = [worker]
            await open_cases(bench, side, merchant_id, open_count)
            names.append(side.name)
            readings.append(asyncio.create_task(read(worker)))
        values = await asyncio.gather(*readings)
    finally:
        for task in readings:
            task.cancel()
        workers.stop()
    rss: dict[str, list[float]] = {"case": [], "bare": []}
    for name, value in zip(names, values, strict=True):
        rss[name].append(value)
    return rss
