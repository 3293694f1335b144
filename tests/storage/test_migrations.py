"""The migration runner on a real PostgreSQL: once, in order, locked, and strict about edits."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from storage.db import MIGRATIONS_DIR, MigrationError, create_pool, load_migrations, migrate


async def _applied(url: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        return [(row["version"], row["name"]) for row in rows]
    finally:
        await conn.close()


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await conn.close()


async def test_every_packaged_migration_applies_once(empty_database_url: str) -> None:
    packaged = load_migrations()
    assert [m.version for m in packaged][0] == "0001"
    pool = await create_pool(empty_database_url)
    try:
        first = await migrate(pool)
        second = await migrate(pool)
    finally:
        await pool.close()

    assert first == [m.version for m in packaged]
    assert second == []
    assert await _applied(empty_database_url) == [(m.version, m.name) for m in packaged]
    assert {"merchants", "email_outbox", "schema_migrations"} <= await _tables(empty_database_url)


async def test_packaged_migrations_are_named_in_order() -> None:
    files = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert [f"{m.version}_{m.name}.sql" for m in load_migrations()] == files


async def test_two_processes_starting_together_apply_each_migration_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    # A slow migration widens the window in which an unlocked runner would apply it twice
    # (and fail on the existing table or the schema_migrations key).
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_slow.sql").write_text(
        "SELECT pg_sleep(0.5);\nCREATE TABLE slow (id int PRIMARY KEY);\n"
    )
    (folder / "0002_fast.sql").write_text("CREATE TABLE fast (id int PRIMARY KEY);\n")
    pools = [await create_pool(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(p, folder) for p in pools))
    finally:
        for p in pools:
            await p.close()

    assert sorted(results) == [[], [], ["0001", "0002"]]
    assert await _applied(empty_database_url) == [("0001", "slow"), ("0002", "fast")]


async def test_a_new_file_is_picked_up_on_the_next_start(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_core.sql").write_text("CREATE TABLE core (id int);\n")
    pool = await create_pool(empty_database_url)
    try:
        assert await migrate(pool, folder) == ["0001"]
        (folder / "0002_portal_api_keys.sql").write_text("CREATE TABLE api_keys (id int);\n")
        (folder / "0003_inbound_mail.sql").write_text("CREATE TABLE inbound (id int);\n")
        assert await migrate(pool, folder) == ["0002", "0003"]
    finally:
        await pool.close()
    assert {"core", "api_keys", "inbound"} <= await _tables(empty_database_url)


async def test_refuses_to_start_when_an_applied_migration_changed(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__*"))
    pool = await create_pool(empty_database_url)
    try:
        await migrate(pool, folder)
        core = folder / "0001_core.sql"
        core.write_text(core.read_text() + "\nCREATE TABLE sneaky (id int);\n")
        (folder / "9999_later.sql").write_text("CREATE TABLE later (id int);\n")

        changed = r"0001_core\.sql was changed after it was applied"
        with pytest.raises(MigrationError, match=changed):
            await migrate(pool, folder)
    finally:
        await pool.close()
    # Nothing after the refusal ran.
    assert not {"sneaky", "later"} & await _tables(empty_database_url)


async def test_line_endings_alone_do_not_count_as_a_change(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    migration = folder / "0001_core.sql"
    migration.write_bytes(b"CREATE TABLE core (id int);\nCREATE TABLE other (id int);\n")
    pool = await create_pool(empty_database_url)
    try:
        await migrate(pool, folder)
        migration.write_bytes(b"CREATE TABLE core (id int);\r\nCREATE TABLE other (id int);\r\n")
        assert await migrate(pool, folder) == []
    finally:
        await pool.close()


async def test_refuses_when_an_applied_migration_file_is_missing(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_core.sql").write_text("CREATE TABLE core (id int);\n")
    (folder / "0002_more.sql").write_text("CREATE TABLE more (id int);\n")
    pool = await create_pool(empty_database_url)
    try:
        await migrate(pool, folder)
        (folder / "0002_more.sql").unlink()
        with pytest.raises(MigrationError, match=r"0002_more is applied .* file is missing"):
            await migrate(pool, folder)
    finally:
        await pool.close()


async def test_a_failing_migration_is_rolled_back_and_not_recorded(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_core.sql").write_text("CREATE TABLE core (id int);\n")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;\n"
    )
    pool = await create_pool(empty_database_url)
    try:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql failed: .*no_such_table"):
            await migrate(pool, folder)
        # The lock was released: a fixed file applies on the next start.
        (folder / "0002_broken.sql").write_text("CREATE TABLE half_done (id int);\n")
        assert await migrate(pool, folder) == ["0002"]
    finally:
        await pool.close()
    assert await _applied(empty_database_url) == [("0001", "core"), ("0002", "broken")]


@pytest.mark.parametrize("name", ["1_core.sql", "0002-portal.sql", "0002_Portal.sql"])
def test_misnamed_files_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match="must be named NNNN_name.sql"):
        load_migrations(tmp_path)


def test_two_files_with_one_version_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0002_portal.sql").write_text("SELECT 1;\n")
    (tmp_path / "0002_inbound.sql").write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match="both have version 0002"):
        load_migrations(tmp_path)
