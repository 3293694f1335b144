"""kill -9 of the worker while every case waits for its merchant, sized for CI.

A worker killed while an email activity runs leaves that activity to its 60 s start-to-close
timeout, which no CI run should wait out, and shortening it for a test would test another
program. Killed while the cases wait, the worker holds no activity: what it does hold is each
case's workflow in its cache and the sticky task queue that goes with it. The answers then
arrive while no worker runs, so each answer's workflow task is first offered on the dead
worker's sticky queue and reaches the replacement only after the sticky schedule-to-start
timeout (10 s, the SDK's default), or the workflow task timeout (10 s) if the kill caught a
workflow task running. Both bound the recovery, so this test takes seconds, not minutes."""

from __future__ import annotations

import asyncio
import time

from cases.client import case_handle, case_state
from domain.case import CaseStatus
from tests.faults.scenarios import (
    Row,
    Size,
    all_arrive,
    answer_all,
    closed,
    duplicates,
    new_ids,
    start_cases,
    until,
)
from tests.faults.stack import Stack


async def _waiting_idle(stack: Stack, ids: list[str]) -> bool:
    """Every case awaits its merchant and has no activity scheduled or running."""
    client = await stack.client()
    for case_id in ids:
        description = await case_handle(client, case_id).describe()
        if description.raw_description.pending_activities:
            return False
        if (await case_state(client, case_id)).status != CaseStatus.AWAITING:
            return False
    return True


async def kill_worker_waiting_for_answers(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "q")
    worker = await stack.worker("worker-q1")
    await start_cases(stack, ids)
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    idle = await until(lambda: _waiting_idle(stack, ids), size.wait_s, "every case idle")
    worker.kill9()
    killed = time.monotonic()
    # The answers go out while no worker runs; the replacement starts beside them.
    answering = asyncio.create_task(answer_all(stack, ids))
    worker = await stack.worker("worker-q2")
    await asyncio.wait_for(answering, size.wait_s)
    lost += await all_arrive(stack, ids, "customer-outcome", size.wait_s)
    recovered = time.monotonic() - killed
    await until(lambda: _all_closed(stack, ids), size.wait_s, "every case to close")
    not_closed = len(ids) - await closed(stack, ids)
    worker.stop()
    note = f"every outcome email {recovered:.0f} s after the kill"
    if not idle:
        note += "; UNEXPECTED: an activity was still pending at the kill"
    return Row(
        "kill -9 worker while cases wait for answers",
        f"{len(ids)} cases",
        "worker killed with no activity in flight; answers sent before a new worker polls",
        lost + not_closed,
        duplicates(stack, ids, ("request", "customer-outcome")),
        None,
        time.monotonic() - began,
        note,
    )


async def _all_closed(stack: Stack, ids: list[str]) -> bool:
    return await closed(stack, ids) == len(ids)
