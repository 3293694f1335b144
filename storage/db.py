"""PostgreSQL access: the connection pool and the schema migration runner.

Migrations are the files `storage/migrations/NNNN_name.sql`, applied in order, each in
its own transaction and recorded in `schema_migrations`. A session-level advisory lock
serialises runners, so several workers starting at once apply each migration exactly once.
Statements that cannot run inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.

The pool keeps asyncpg's defaults: jsonb travels as text, so callers cast with `$1::jsonb`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant works, as long as every cancelflow process uses the same one.
MIGRATION_LOCK_KEY = 0x63616E63656C  # "cancel"

_FILE_NAME = re.compile(r"^(?P<version>[0-9]{4})_(?P<name>[a-z0-9_]+)\.sql$")

log = structlog.get_logger()


class MigrationError(RuntimeError):
    """The schema cannot be brought up to date safely; the process must not start."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str
    checksum: str
    path: Path


async def create_pool(url: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool holds one connection per email being sent (the outbox row lock): size it to the
    worker's concurrent activities."""
    return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file in the folder, in version order; rejects misnamed files."""
    migrations: list[Migration] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path}: migration files must be named NNNN_name.sql "
                "(four digits, underscore, lower-case letters, digits or underscores)"
            )
        version = match.group("version")
        if version in seen:
            raise MigrationError(
                f"{path.name} and {seen[version].name} both have version {version}"
            )
        seen[version] = path
        # Normalised line endings: a checkout with CRLF must not look like an edited migration.
        sql = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
        migrations.append(
            Migration(
                version=version,
                name=match.group("name"),
                sql=sql,
                checksum=hashlib.sha256(sql.encode("utf-8")).hexdigest(),
                path=path,
            )
        )
    return migrations


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def migrate(pool: asyncpg.Pool, folder: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the versions this call applied (empty if none).

    Raises MigrationError when an applied migration's file changed or disappeared.
    """
    migrations = load_migrations(folder)
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute(_CREATE_TABLE)
            applied = {
                row["version"]: row
                for row in await conn.fetch(
                    "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
                )
            }
            _check_applied(applied, migrations)
            done: list[str] = []
            for migration in migrations:
                if migration.version in applied:
                    continue
                await _apply(conn, migration)
                done.append(migration.version)
            return done
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


def _check_applied(applied: dict[str, asyncpg.Record], migrations: list[Migration]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, row in applied.items():
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"migration {version}_{row['name']} is applied to the database but its file is "
                "missing: this code is older than the database schema"
            )
        if migration.checksum != row["checksum"]:
            raise MigrationError(
                f"migration {migration.path.name} was changed after it was applied "
                f"(checksum {row['checksum'][:12]} in the database, {migration.checksum[:12]} "
                "on disk): restore the file and put the change in a new migration"
            )


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as err:
        raise MigrationError(f"migration {migration.path.name} failed: {err}") from err
    log.info("migration.applied", version=migration.version, name=migration.name)
