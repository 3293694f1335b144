"""Backups without undoing erasures (docs/privacy.md): a database restored from a copy taken
before an erasure holds the case's wrapped key again, and reads again; `cancelflow codec
reapply-erasures`, with the erasure log exported apart from the backups, erases it again."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from temporalio.api.history.v1 import History

from cases.erasure import erase_case
from storage.archive_chain import verify_chain
from storage.erasures import ErasureStore
from tests.helpers.cli import run_cli
from tests.helpers.privacy import (
    IDENTIFIERS,
    REQUEST,
    Running,
    closed_case,
    data_payloads,
    pg_dump,
    readable_identifiers,
)
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey, ErasedCaseKey, format_keys

# What a restore brings back as it was before the erasure: the key, the rows the erasure
# struck, and (for a backup older than the erasure) no record of it, nor its chain link.
RESTORED = ("case_keys", "email_outbox", "case_erasures", "archive_chain", "archive_chain_days")


async def back_up(pool: asyncpg.Pool, tables: tuple[str, ...]) -> None:
    for table in tables:
        await pool.execute(f"CREATE TABLE backup_{table} AS SELECT * FROM {table}")


async def restore(pool: asyncpg.Pool, tables: tuple[str, ...]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for table in tables:
            await conn.execute(f"DELETE FROM {table}")
            await conn.execute(f"INSERT INTO {table} SELECT * FROM backup_{table}")
            await conn.execute(f"DROP TABLE backup_{table}")


async def decodes(codec_keys: list[EncryptionKey], case_keys: CaseKeys, history: History) -> bool:
    """Whether a process starting now (an empty cache) reads the case's payloads."""
    fresh = CaseKeyCodec(codec_keys, CaseKeys(codec_keys, case_keys._make_pool))  # noqa: SLF001
    try:
        for payload in data_payloads(history):
            await fresh.decode([payload])
    except ErasedCaseKey:
        return False
    return True


@pytest.mark.parametrize("backup_of", ["the whole database", "the keys table alone"])
async def test_a_restored_pre_erasure_copy_is_erased_again(
    running: Running,
    codec_keys: list[EncryptionKey],
    case_keys: CaseKeys,
    database_url: str,
    tmp_path: Path,
    backup_of: str,
) -> None:
    tables = RESTORED if backup_of == "the whole database" else ("case_keys",)
    case_id = await closed_case(running)
    handle = running.client.get_workflow_handle(f"case-{case_id}")
    history = History(events=[e async for e in handle.fetch_history_events()])
    await back_up(running.pool, tables)

    queue = running.stack.settings.temporal.task_queue
    receipt = await erase_case(running.client, case_id, REQUEST, queue)
    record = await ErasureStore(running.pool).get(case_id)
    env = running.stack.env | {"CANCELFLOW_CODEC__KEYS": format_keys(codec_keys)}
    log = tmp_path / "erasures.jsonl"
    exported = await run_cli("codec", "export-erasures", "--output", str(log), env=env)
    assert exported.code == 0, exported.stderr
    assert readable_identifiers(log.read_bytes(), IDENTIFIERS) == []
    assert not await decodes(codec_keys, case_keys, history)

    await restore(running.pool, tables)
    assert await decodes(codec_keys, case_keys, history), "the restore brought the key back"

    again = await run_cli("codec", "reapply-erasures", "--log", str(log), env=env)
    assert again.code == 0, again.stderr
    put_back = 1 if "case_erasures" in tables else 0
    assert "re-applied 1 erasure(s)" in again.stdout
    assert f"{put_back} record(s) put back from the log" in again.stdout
    assert not await decodes(codec_keys, case_keys, history)
    assert await ErasureStore(running.pool).get(case_id) == record
    assert record is not None and record.erased_at == receipt.erased_at
    assert (await verify_chain(running.pool)).ok
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS) == []
    # Twice is harmless: nothing left to put back.
    twice = await run_cli("codec", "reapply-erasures", "--log", str(log), env=env)
    assert "0 record(s) put back" in twice.stdout, twice.stdout + twice.stderr
