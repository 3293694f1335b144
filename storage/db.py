"""PostgreSQL access: the connection pool and the schema migration runner.

Migrations are the files `storage/migrations/NNNN_name.sql`, applied in order, each in
its own transaction and recorded in `schema_migrations`. A session-level advisory lock
serialises runners, so several workers starting at once apply each migration exactly once.
Statements that cannot run inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.

The pool keeps asyncpg's codecs (jsonb travels as text, so callers cast with `$1::jsonb`) but
not its unbounded waits: connecting, acquiring and each statement have a timeout
(DatabaseWaits), so a PostgreSQL that hangs gives errors within seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import structlog

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant works, as long as every cancelflow process uses the same one.
MIGRATION_LOCK_KEY = 0x63616E63656C  # "cancel"

# A migration's statements (and the wait for another runner's lock) are bounded too, but
# generously: a migration that rewrites a large table can take minutes.
MIGRATION_SECONDS = 900.0

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


@dataclass(frozen=True)
class DatabaseWaits:
    """How long any caller waits on PostgreSQL, so a server that hangs (SIGSTOPped, a frozen
    VM, a network that drops packets without a reset) is an error in seconds, not a hang:
    the portal and gateway answer 503 with Retry-After, activities fail and are retried, the
    CLI says it cannot reach the database.

    During a hang a request takes at most connect + command + release (an idle pooled
    connection: command + release), or acquire when it queued for the pool: under 10 s.
    acquire is the longest so that a burst of ordinary requests queueing for the pool's
    connections (50 answers at once) waits for one rather than getting 503."""

    connect_seconds: float = 2.0
    """Opening a connection: the TCP or socket connect and PostgreSQL's startup answer."""
    acquire_seconds: float = 6.0
    """Waiting for a pooled connection, a new one's connect included."""
    command_seconds: float = 4.0
    """One statement; a longer one (a migration) passes its own timeout."""
    release_seconds: float = 1.5
    """Handing a connection back: its reset, or after a timed-out statement the wait for
    the server to acknowledge the cancel (then the connection is closed instead)."""


DEFAULT_WAITS = DatabaseWaits()


class BoundedPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg ships no types
    """asyncpg's pool with a bound on every acquire and release, also the ones inside
    pool.fetch/execute, which asyncpg leaves unbounded."""

    def __init__(self, *args: Any, waits: DatabaseWaits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waits = waits

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self._waits.acquire_seconds if timeout is None else timeout)

    def release(self, connection: Any, *, timeout: float | None = None) -> Any:
        # asyncpg would otherwise reuse the acquire's timeout here (an awaitable, as its own).
        budget = self._waits.release_seconds if timeout is None else timeout
        return super().release(connection, timeout=budget)


async def _nothing_kept(_connection: asyncpg.Connection) -> None:
    """The pool's reset of a connection handed back, after asyncpg's own (which always rolls
    back a transaction left open and drops the client's listeners).

    asyncpg's default reset is one more round trip after every pooled statement (advisory
    unlock, CLOSE ALL, UNLISTEN, RESET ALL) for session state this code never leaves on a
    pooled connection: settings are transaction-local (set_config(..., true)), advisory
    locks are transaction-level except the migration lock, which migrate() releases itself,
    cursors live inside transactions, and listening has its own connection
    (workers/case_key_cache.py). tests/storage/test_pool_reset.py holds the code to that."""


async def create_pool(
    url: str, min_size: int = 1, max_size: int = 10, waits: DatabaseWaits = DEFAULT_WAITS
) -> asyncpg.Pool:
    """A pool holds one connection per email being sent (the outbox row lock): size it to the
    worker's concurrent activities. Every wait on it is bounded (DatabaseWaits)."""
    pool = BoundedPool(
        url,
        waits=waits,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        min_size=min_size,
        max_size=max_size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        connect=None,
        setup=None,
        init=None,
        reset=_nothing_kept,
        loop=None,
        timeout=waits.connect_seconds,
        command_timeout=waits.command_seconds,
    )
    # The first connections, with one retry: a process starting (the CLI, a worker) says it
    # cannot reach the database within seconds instead of waiting a whole acquire.
    startup_seconds = 2 * waits.connect_seconds
    try:
        async with asyncio.timeout(startup_seconds):
            return await pool
    except TimeoutError as err:
        pool.terminate()
        raise TimeoutError(
            f"PostgreSQL did not answer within {startup_seconds:g} s "
            f"({waits.connect_seconds:g} s per connection attempt)"
        ) from err


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
        # Waiting for another runner's lock, and a migration itself, may take minutes.
        await conn.execute(
            "SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY, timeout=MIGRATION_SECONDS
        )
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
            await conn.execute(migration.sql, timeout=MIGRATION_SECONDS)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as err:
        raise MigrationError(f"migration {migration.path.name} failed: {err}") from err
    log.info("migration.applied", version=migration.version, name=migration.name)
