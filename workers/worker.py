"""The worker process: runs the case workflows and their activities on the task queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from workers.database import database_pool, database_url
from workers.logging import LogContextInterceptor
from workers.process import stop_on_signals
from workers.schedules import ensure_digest_schedule
from workers.settings import Settings
from workers.temporal_client import connect
from workers.versioning import deployment_config
from workers.wiring import WORKFLOWS, build_activities
from workflows.sandbox import workflow_runner

# In-flight activities get this long to finish after SIGTERM before they are cancelled;
# an email activity that is cut off is retried elsewhere and the outbox prevents a duplicate.
GRACEFUL_SHUTDOWN = timedelta(seconds=15)

log = structlog.get_logger("cancelflow.worker")


def build_worker(
    client: Client,
    settings: Settings,
    activities: Sequence[Callable[..., Any]],
    workflows: Sequence[type] = WORKFLOWS,
    graceful_shutdown: timedelta = GRACEFUL_SHUTDOWN,
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=list(workflows),
        activities=list(activities),
        interceptors=[LogContextInterceptor()],
        graceful_shutdown_timeout=graceful_shutdown,
        workflow_runner=workflow_runner(),
        deployment_config=deployment_config(settings.temporal),
    )


def with_smtp_default(settings: Settings) -> Settings:
    """No SMTP host configured means the local mail sink of `cancelflow dev` on smtp.port."""
    if settings.smtp.host:
        return settings
    log.warning(
        "smtp.host_not_set",
        detail=f"sending mail to the local sink at 127.0.0.1:{settings.smtp.port}; "
        "set CANCELFLOW_SMTP__HOST for a real relay",
    )
    return settings.model_copy(
        update={"smtp": settings.smtp.model_copy(update={"host": "127.0.0.1"})}
    )


async def run_until_stopped(worker: Worker, stop: asyncio.Event) -> None:
    """Run the worker until `stop` is set, then shut it down gracefully."""
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        stopping.cancel()
        running.result()  # a worker that died on its own is an error; let it surface
        return
    log.info("worker.stopping", task_queue=worker.task_queue)
    await worker.shutdown()
    await running
    log.info("worker.stopped")


async def serve(settings: Settings) -> None:
    """`cancelflow worker`: connect, migrate, and run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    settings = with_smtp_default(settings)
    url = database_url(settings)  # local and cheap: fail on a missing database first
    client = await connect(settings)
    with stop_on_signals(stop):
        async with database_pool(url) as pool:
            worker = build_worker(client, settings, build_activities(settings, pool, client))
            await ensure_digest_schedule(client, settings.temporal.task_queue)
            log.info(
                "worker.started",
                task_queue=settings.temporal.task_queue,
                namespace=client.namespace,
            )
            await run_until_stopped(worker, stop)
