"""What "ready" means, and what a process checks before it starts.

Readiness: PostgreSQL and Temporal answer within a short timeout and, for the worker, this
worker is among the pollers of its task queue. Startup: the case search attributes exist in
the namespace and the database schema is the one this code was written for; when not, the
error names the command that fixes it instead of failing workflow tasks in a loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import asyncpg
from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from storage.db import MIGRATIONS_DIR, load_migrations
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

# name -> a check that raises (any exception) when the dependency is not there.
Checks = Mapping[str, Callable[[], Awaitable[None]]]

MIGRATE_COMMAND = "cancelflow db migrate"
SETUP_COMMAND = "cancelflow temporal setup"


class StartupCheckFailed(RuntimeError):
    """The process must not start; the message says what is missing and which command fixes it."""


async def run_checks(checks: Checks, seconds: float) -> dict[str, str]:
    """name -> "ok" or why it failed; every check runs at once, each within `seconds`."""

    async def one(check: Callable[[], Awaitable[None]]) -> str:
        try:
            await asyncio.wait_for(check(), seconds)
        except TimeoutError:
            return f"no answer within {seconds:g} s"
        except Exception as err:  # noqa: BLE001 - any failure means "not ready", said briefly
            text = str(err).strip().splitlines()
            return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")
        return "ok"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[name]) for name in names))
    return dict(zip(names, results, strict=True))


def postgres_check(pool: asyncpg.Pool) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        await pool.fetchval("SELECT 1")

    return check


def temporal_check(client: Client) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        await client.service_client.check_health(timeout=timedelta(seconds=5))

    return check


def polling_check(client: Client, task_queue: str) -> Callable[[], Awaitable[None]]:
    """This worker (by the client's identity) polls the task queue for workflow tasks."""

    async def check() -> None:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        identities = {poller.identity for poller in described.pollers}
        if client.identity not in identities:
            raise RuntimeError(f"not polling task queue {task_queue!r} (yet)")

    return check


async def schema_problem(pool: asyncpg.Pool) -> str | None:
    """Why the database schema is not the one this code expects, or None when it is."""
    wanted = {m.version: m for m in load_migrations(MIGRATIONS_DIR)}
    async with pool.acquire() as conn:
        exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations") if exists else []
    applied = {row["version"]: row["checksum"] for row in rows}
    if not applied:
        return f"the database has no cancelflow schema yet: run `{MIGRATE_COMMAND}`"
    newer = sorted(set(applied) - set(wanted))
    if newer:
        return (
            f"the database schema is newer than this code (migrations {', '.join(newer)} are "
            "unknown here): deploy the matching release"
        )
    changed = sorted(v for v in applied if applied[v] != wanted[v].checksum)
    if changed:
        return (
            f"migrations {', '.join(changed)} differ from the applied ones: "
            f"run `{MIGRATE_COMMAND}` to see which file changed"
        )
    pending = sorted(set(wanted) - set(applied))
    if pending:
        names = ", ".join(wanted[v].path.name for v in pending)
        return f"the database schema is not current ({names} not applied): run `{MIGRATE_COMMAND}`"
    return None


async def search_attribute_problem(client: Client) -> str | None:
    """Which case search attributes the namespace lacks (or has with another type), or None.

    A namespace that does not let us list them (Temporal Cloud without operator rights) is
    given the benefit of the doubt: None.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError as err:
        if err.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED):
            return None
        raise
    existing = dict(listed.custom_attributes)
    missing = []
    for key in ALL_SEARCH_ATTRIBUTES:
        wanted = IndexedValueType.ValueType(int(key.indexed_value_type))
        if existing.get(key.name) != wanted:
            missing.append(key.name)
    if not missing:
        return None
    return (
        f"namespace {client.namespace} lacks the case search attributes {', '.join(missing)} "
        f"(or has them with another type): run `{SETUP_COMMAND}`"
    )


async def check_before_start(client: Client, pool: asyncpg.Pool) -> None:
    """Raise StartupCheckFailed naming every problem and the command that fixes it."""
    problems = [
        p for p in (await search_attribute_problem(client), await schema_problem(pool)) if p
    ]
    if problems:
        raise StartupCheckFailed("; ".join(problems))
