"""Many reminders falling due together, on the time-skipping server.

One server and one worker per side for the whole phase: both workers poll it, and the sides
take turns. The clock jumps past the due instant once per batch; every timer fires at that
jump, and the drain is timed until the last reminder email reaches the sink. A case batch is
terminated after its drain, so its later reminders never fall due inside a later measurement
(a bare reminder workflow ends with its email).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench import bare
from bench.scenarios import Bench, gather_bounded, open_cases, until_timer_started
from bench.sides import BareSide, CaseSide, bench_merchant, new_key
from bench.stack import Stack, WorkerProcess
from cases.client import case_state
from domain.merchant import ResponsePolicy
from storage.merchants import MerchantDirectory
from tests.helpers.servers import binary, free_port
from workers.temporal_namespace import register_search_attributes

REMINDER_MERCHANT = bench_merchant(
    "bench-reminders",
    ResponsePolicy(first_reminder_after=1, second_reminder_after=5, escalate_after=9),
)
# Past the due instant of cases started minutes apart, well before the second reminder.
PAST_DUE = timedelta(minutes=10)


@dataclass
class Drain:
    per_second: float
    lateness: list[float]
    # The side's worker's CPU (user + system) from the clock jump to the last email: the
    # reminders' own cost, without opening the cases.
    worker_cpu_seconds: float = 0.0
    # Every process's CPU over the same span, by name (the machine's, so the server, the
    # database and the sink are in it too): where a slow drain spent its time.
    cpu_by_process: dict[str, float] = field(default_factory=dict)


@dataclass
class ReminderServer:
    """The time-skipping server of the reminder phase, with a worker for each side."""

    env: WorkflowEnvironment
    workers: dict[str, WorkerProcess]

    @property
    def client(self) -> Client:
        return self.env.client


@asynccontextmanager
async def reminder_server(stack: Stack) -> AsyncIterator[ReminderServer]:
    from workers.temporal_client import data_converter

    port = free_port()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=data_converter(stack.settings),
        port=port,
    )
    address = f"127.0.0.1:{port}"
    workers: dict[str, WorkerProcess] = {}
    try:
        await register_search_attributes(env.client)
        workers = {"case": stack.case_worker(address), "bare": stack.bare_worker(address)}
        yield ReminderServer(env, workers)
    finally:
        for worker in workers.values():
            worker.signal_stop()
        for worker in workers.values():
            worker.stop()
        await env.shutdown()


async def reminder_drain(stack: Stack, server: ReminderServer, side_name: str, count: int) -> Drain:
    env, client = server.env, server.client
    stack.sink.workers = list(server.workers.values())
    bench = Bench(client, stack.sink, 0.0, [])
    if side_name == "case":
        side = CaseSide(client)
        keys = await open_cases(bench, side, REMINDER_MERCHANT.merchant_id, count)
        workflow_ids = [side.workflow_id(k) for k in keys]
        await until_timer_started(client, workflow_ids)
        # The last case opened is due last (a large batch takes minutes to open).
        dues = [(await case_state(client, key)).next_action_at for key in (keys[0], keys[-1])]
        assert None not in dues
        jump = max(d for d in dues if d is not None) - await env.get_current_time() + PAST_DUE
    else:
        bare_side = BareSide(client)
        keys = [new_key("rb") for _ in range(count)]
        workflow_ids = [bare_side.workflow_id(k) for k in keys]
        due = await env.get_current_time() + timedelta(days=1)

        async def start(key: str) -> None:
            await client.start_workflow(
                bare.BareReminderWorkflow.run,
                args=[key, due],
                id=bare_side.workflow_id(key),
                task_queue=bare_side.task_queue,
            )

        await gather_bounded(keys, 200, start)
        await until_timer_started(client, workflow_ids)
        jump = due - await env.get_current_time() + PAST_DUE
    worker = server.workers[side_name]
    worker.check_alive()
    cpu_before = worker.cpu_seconds()
    machine_before = cpu_by_name()
    jumped_at = time.monotonic()
    # Not env.sleep(): the server answers the skip only once no activity runs, that is after
    # the drain, and for thousands of reminders the call outlives its RPC timeout and then its
    # connection. The timers fire at the start of the skip; the drain is timed at the sink.
    skip = SleepRequest()
    skip.duration.FromTimedelta(jump)
    skipping = asyncio.create_task(
        env.client.test_service.unlock_time_skipping_with_sleep(skip, timeout=timedelta(minutes=30))
    )
    arrivals = []
    for key in keys:
        mail = await stack.sink.wait_for(key, "reminder-1", within=1800)
        arrivals.append(mail.at - jumped_at)
    cpu = worker.cpu_seconds() - cpu_before
    machine = {name: spent - machine_before.get(name, 0.0) for name, spent in cpu_by_name().items()}
    with contextlib.suppress(RPCError):
        await skipping  # every reminder arrived: the skip did its part
    if side_name == "case":

        async def end(workflow_id: str) -> None:
            await client.get_workflow_handle(workflow_id).terminate("reminder batch measured")

        await gather_bounded(workflow_ids, 50, end)
    return Drain(
        per_second=count / max(arrivals),
        lateness=arrivals,
        worker_cpu_seconds=cpu,
        cpu_by_process=machine,
    )


def cpu_by_name() -> dict[str, float]:
    """CPU seconds (user + system) of every process now, summed by command (the bench's
    workers by their role)."""
    import psutil

    spent: dict[str, float] = {}
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:
            continue
        cmdline = process.info["cmdline"] or []
        name = " ".join(cmdline[-2:]) if "bench.worker" in cmdline else process.info["name"]
        spent[name] = spent.get(name, 0.0) + times.user + times.system
    return spent


async def seed_reminder_merchant(directory: MerchantDirectory) -> None:
    await directory.upsert(REMINDER_MERCHANT)
