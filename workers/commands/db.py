"""`cancelflow db migrate`: the schema migrations, as their own deployment step."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workers.commands.common import load_settings, run

if TYPE_CHECKING:
    from workers.settings import Settings


@click.group("db")
def db() -> None:
    """The PostgreSQL schema."""


@db.command("migrate")
def migrate_command() -> None:
    """Apply the pending schema migrations (idempotent; serialised by an advisory lock).

    Run it before starting a new release: the worker, portal and mail gateway only check the
    schema, so their DATABASE_URL needs no DDL rights. `cancelflow dev` migrates by itself.
    """
    click.echo(run(_migrate(load_settings())))


async def _migrate(settings: Settings) -> str:
    import asyncpg

    from storage.db import create_pool, migrate
    from workers.database import DatabaseUnavailable, database_url

    url = database_url(settings)
    try:
        pool = await create_pool(url, min_size=1, max_size=1)
    except (OSError, asyncpg.PostgresError) as err:
        raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {err}") from err
    try:
        applied = await migrate(pool)
    finally:
        await pool.close()
    if not applied:
        return "schema is current; nothing to apply"
    return f"applied migrations {', '.join(applied)}; schema is current"
