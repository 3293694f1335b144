"""Which PostgreSQL a process uses: DATABASE_URL, or the embedded one of `cancelflow dev`.

A CLI call never starts or stops a database behind a person's back: without DATABASE_URL it
only looks for the embedded server that `cancelflow dev` runs (storage/embedded.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
async def database_pool(url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a schema brought up to date (migrations are idempotent); closed on exit."""
    try:
        pool = await create_pool(url)
    except (OSError, asyncpg.PostgresError) as err:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {err}") from err
    try:
        applied = await migrate(pool)
        if applied:
            log.info("database.migrated", versions=applied)
        yield pool
    finally:
        await pool.close()
