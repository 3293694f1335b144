"""The fault stack's own faults must not break on a shared machine."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.faults.stack import Postgres


async def test_postgres_stops_and_starts_after_its_parent_folder_was_closed(
    tmp_path: Path,
) -> None:
    (tmp_path / "stack").mkdir()
    postgres = Postgres(tmp_path / "stack")
    try:
        # What a pytest session starting meanwhile does to its base folder.
        tmp_path.chmod(0o700)
        postgres.stop()
        tmp_path.chmod(0o700)
        postgres.start()
        connection = await asyncpg.connect(postgres.uri())
        try:
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()
    finally:
        postgres.cleanup()
