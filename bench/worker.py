"""Worker processes for the benchmark: `python -m bench.worker bare|case`.

`bare` runs the bare workflows with the same sandbox and data converter as the real worker.
`case` is `cancelflow worker` without the digest schedule, for the time-skipping server,
which has no schedules. Configured like `cancelflow worker` (TEMPORAL_ADDRESS, CANCELFLOW_*).
"""

from __future__ import annotations

import asyncio
import sys

from temporalio.worker import Worker

from bench.bare import BareActivities, BareCaseWorkflow, BareReminderWorkflow
from workers.case_list_sync import syncing_case_list
from workers.database import database_pool, database_url
from workers.logging import configure_logging
from workers.process import stop_on_signals
from workers.settings import Settings
from workers.temporal_client import connect
from workers.wiring import build_activities
from workers.worker import build_worker, run_until_stopped
from workflows.sandbox import workflow_runner


async def serve(settings: Settings, side: str) -> None:
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await _serve(settings, side, stop)


async def _serve(settings: Settings, side: str, stop: asyncio.Event) -> None:
    client = await connect(settings)
    if side == "case":
        async with (
            database_pool(database_url(settings)) as pool,
            syncing_case_list(client, pool, settings.case_list),
        ):
            worker = build_worker(client, settings, build_activities(settings, pool, client))
            await run_until_stopped(worker, stop)
        return
    activities = BareActivities(settings.smtp.host or "127.0.0.1", settings.smtp.port)
    worker = Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=[BareCaseWorkflow, BareReminderWorkflow],
        activities=activities.all(),
        workflow_runner=workflow_runner(),
    )
    await run_until_stopped(worker, stop)


if __name__ == "__main__":
    if sys.argv[1:] not in (["bare"], ["case"]):
        sys.exit("usage: python -m bench.worker bare|case")
    settings = Settings()
    # As `cancelflow worker` logs (its level and renderer), so the case side pays what
    # production pays for its log lines, no more and no less.
    configure_logging(settings.log_level)
    asyncio.run(serve(settings, sys.argv[1]))
