"""The worker process: runs the case workflows and their activities on the task queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from workers.case_list_sync import syncing_case_list
from workers.database import database_pool, database_url
from workers.logging import LogContextInterceptor
from workers.observability.business import BusinessMetrics, BusinessMetricsInterceptor
from workers.observability.checks import check_before_start
from workers.observability.runtime import build_runtime
from workers.observability.tracing import configure_tracing, shutdown_tracing
from workers.observability.worker_ops import running_worker_ops
from workers.process import stop_on_signals
from workers.schedules import (
    ensure_archive_schedule,
    ensure_digest_schedule,
    ensure_retention_schedule,
)
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
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=list(workflows),
        activities=list(activities),
        interceptors=[LogContextInterceptor(), *interceptors],
        graceful_shutdown_timeout=graceful_shutdown,
        workflow_runner=workflow_runner(),
        deployment_config=deployment_config(settings.temporal),
        max_cached_workflows=settings.temporal.max_cached_workflows,
        max_concurrent_activities=settings.temporal.max_concurrent_activities,
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
    """`cancelflow worker`: check what it needs, then run until SIGTERM or SIGINT.

    It checks rather than changes: the schema (`cancelflow db migrate`) and the search
    attributes (`cancelflow temporal setup`) must be there, or it exits saying which to run.
    """
    stop = asyncio.Event()
    settings = with_smtp_default(settings)
    url = database_url(settings)  # local and cheap: fail on a missing database first
    configure_tracing("worker")
    ops = settings.ops
    runtime = build_runtime(settings.log_level, ops.sdk_metrics_address or None)
    client = await connect(settings, runtime=runtime)
    registry = CollectorRegistry()
    metrics = BusinessMetrics(registry)
    task_queue = settings.temporal.task_queue
    try:
        with stop_on_signals(stop):
            async with database_pool(url, schema="caller-checks") as pool:
                await check_before_start(client, pool)
                worker = build_worker(
                    client,
                    settings,
                    build_activities(settings, pool, client),
                    interceptors=[BusinessMetricsInterceptor(metrics, client)],
                )
                await ensure_digest_schedule(client, task_queue, settings.digest)
                await ensure_archive_schedule(client, task_queue, settings.archive)
                await ensure_retention_schedule(client, task_queue, settings.erasure)
                ops_server = running_worker_ops(ops, client, pool, task_queue, registry, metrics)
                case_list = syncing_case_list(client, pool, settings.case_list)
                async with ops_server as ops_url, case_list:
                    log.info(
                        "worker.started",
                        task_queue=task_queue,
                        namespace=client.namespace,
                        ops=ops_url,
                    )
                    await run_until_stopped(worker, stop)
    finally:
        shutdown_tracing()
