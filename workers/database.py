"""Which PostgreSQL a process uses: DATABASE_URL, or the embedded one of `cancelflow dev`.

A CLI call never starts or stops a database behind a person's back: without DATABASE_URL it
only looks for the embedded server that `cancelflow dev` runs (storage/embedded.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg
import structlog

from storage.db import create_pool, migrate
from storage.embedded import embedded_pgdata, running_embedded_url
from workers.settings import Settings

log = structlog.get_logger("cancelflow.database")


class DatabaseUnavailable(RuntimeError):
    pass


def database_url(settings: Settings) -> str:
    """DATABASE_URL, else the running embedded server of `cancelflow dev`; raises otherwise."""
    if settings.database_url:
        return settings.database_url
    url = running_embedded_url(settings.var_dir)
    if url is None:
        raise DatabaseUnavailable(
            f"no database: DATABASE_URL is not set and no embedded PostgreSQL is running under "
            f"{embedded_pgdata(settings.var_dir)} (start `cancelflow dev`, or set DATABASE_URL)"
        )
    return url


@asynccontextmanager
async def database_pool(
    url: str, *, schema: Literal["migrate", "check", "caller-checks"] = "migrate"
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a current schema; closed on exit.

    schema="migrate" brings it up to date (idempotent; `cancelflow dev`, tools, tests).
    schema="check" only checks, so a production process needs no DDL rights: it raises
    SchemaNotCurrent naming `cancelflow db migrate` when the schema is behind.
    schema="caller-checks": neither (the worker checks it with its other startup checks).
    """
    try:
        pool = await create_pool(url)
    except (OSError, asyncpg.PostgresError) as err:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {err}") from err
    try:
        if schema == "check":
            await check_schema(pool)
        elif schema == "migrate":
            applied = await migrate(pool)
            if applied:
                log.info("database.migrated", versions=applied)
        yield pool
    finally:
        await pool.close()


class SchemaNotCurrent(RuntimeError):
    """The database schema is not the one this code expects; the message names the fix."""


async def check_schema(pool: asyncpg.Pool) -> None:
    from workers.observability.checks import schema_problem

    problem = await schema_problem(pool)
    if problem:
        raise SchemaNotCurrent(problem)
