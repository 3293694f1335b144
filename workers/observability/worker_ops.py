"""The worker's ops server (/healthz, /readyz, /metrics with its business and SDK metrics),
one definition for `cancelflow worker` and the dev stack's in-process worker, so what a
developer sees locally is what production exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from prometheus_client import CollectorRegistry
from temporalio.client import Client

from workers.observability.business import (
    BusinessMetrics,
    archive_refresh,
    case_list_refresh,
    outbox_refresh,
)
from workers.observability.checks import polling_check, postgres_check, temporal_check
from workers.observability.config import OpsSettings
from workers.observability.ops_server import ops_routes, running_ops_server
from workers.observability.runtime import sdk_metrics_url


@asynccontextmanager
async def running_worker_ops(
    ops: OpsSettings,
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    registry: CollectorRegistry,
    metrics: BusinessMetrics,
) -> AsyncIterator[str]:
    """Serve on ops.host:ops.worker_port until exit; yields the server's base URL."""
    routes = ops_routes(
        {
            "postgres": postgres_check(pool),
            "temporal": temporal_check(client),
            "polling": polling_check(client, task_queue),
        },
        registry,
        timeout=ops.check_timeout_seconds,
        refresh=[
            outbox_refresh(metrics, pool, ops.outbox_failing_after_seconds),
            archive_refresh(metrics, client, pool),
            case_list_refresh(metrics, pool),
        ],
        sdk_metrics_url=sdk_metrics_url(ops.sdk_metrics_address or None),
    )
    async with running_ops_server(ops.host, ops.worker_port, routes) as ops_url:
        yield ops_url
