"""The pools skip asyncpg's session reset (storage/db.py, _nothing_kept): these hold the code to
what that relies on, and check that what asyncpg still does on release is enough."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import asyncpg

from storage.db import create_pool
from tests.helpers.python_source import parsed
from tests.helpers.servers import REPO_ROOT

PRODUCT = ["activities", "cases", "console", "inbound", "integrations", "ops", "portal"]
PRODUCT += ["storage", "workers", "workflows", "domain"]

# Statements whose effect outlives their transaction on a connection, so would reach the next
# borrower of a pooled connection: session settings, LISTEN, session advisory locks, held
# cursors, temporary tables, prepared statements by name. Keywords in capitals, as this code
# writes SQL (prose such as "set CANCELFLOW_CODEC__KEYS" is not a statement).
SESSION_STATE = re.compile(
    r"(\A|;)\s*(SET\s+(?!LOCAL\b)|LISTEN\b|PREPARE\b|DECLARE\b[^;]*\bWITH\s+HOLD\b)"
    r"|\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\b"
    r"|(?i:\bpg_(try_)?advisory_lock(_shared)?\s*\()"
    r"|(?i:\bset_config\s*\([^)]*,\s*false\s*\))"
)
# migrate() takes the migration lock for the session and releases it in a finally.
ALLOWED = {("storage/db.py", "SELECT pg_advisory_lock($1)")}


def _strings(path: Path) -> list[str]:
    tree = parsed(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_statement_leaves_session_state_on_a_pooled_connection() -> None:
    found = []
    for package in PRODUCT:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            where = path.relative_to(REPO_ROOT).as_posix()
            for text in _strings(path):
                if SESSION_STATE.search(text) and (where, text) not in ALLOWED:
                    found.append(f"{where}: {text.strip()[:80]!r}")
    # Migrations run on a pooled connection too (migrate()).
    for path in sorted((REPO_ROOT / "storage" / "migrations").glob("*.sql")):
        for statement in path.read_text(encoding="utf-8").split(";"):
            if SESSION_STATE.search(statement.strip()):
                found.append(f"{path.name}: {statement.strip()[:80]!r}")
    assert found == []


def test_the_check_sees_each_kind_of_session_state() -> None:
    for statement in [
        "SET statement_timeout = 0",
        "SELECT 1; SET search_path TO x",
        "LISTEN case_key_erased",
        "SELECT pg_advisory_lock(7)",
        "SELECT pg_try_advisory_lock_shared(7)",
        "SELECT set_config('lock_timeout', '1s', false)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "CREATE TEMP TABLE t (x int)",
        "PREPARE p AS SELECT 1",
    ]:
        assert SESSION_STATE.search(statement), statement
    for statement in [
        "UPDATE outbox SET state = 'sent'",
        "SET LOCAL lock_timeout = '1s'",
        "SELECT set_config('lock_timeout', $4, true)",
        "SELECT pg_advisory_xact_lock($1)",
        "INSERT INTO t VALUES (1) ON CONFLICT (k) DO UPDATE\n SET v = 2",
        "(encrypted: this process does not have the key; set CANCELFLOW_CODEC__KEYS)",
    ]:
        assert not SESSION_STATE.search(statement), statement


async def test_a_transaction_left_open_is_rolled_back_when_the_connection_goes_back(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute("CREATE TABLE IF NOT EXISTS pool_reset_probe (n int)")
        await pool.execute("TRUNCATE pool_reset_probe")
        connection = await pool.acquire()
        left_open = connection.transaction()
        await left_open.start()
        await connection.execute("INSERT INTO pool_reset_probe VALUES (1)")
        await connection.execute("SELECT pg_advisory_xact_lock(42)")
        await pool.release(connection)

        again = await pool.acquire()
        try:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT count(*) FROM pool_reset_probe") == 0
            # The transaction-level lock taken in it ended with it: another session gets it.
            other = await asyncpg.connect(database_url)
            try:
                assert await other.fetchval("SELECT pg_try_advisory_xact_lock(42)")
            finally:
                await other.close()
        finally:
            await pool.release(again)
        await pool.execute("DROP TABLE pool_reset_probe")
    finally:
        await pool.close()
