"""`cancelflow cases erase`, then `cases audit`, `cases show` and `archive export` of the erased
case, as an operator runs them; and a case started before per-case keys, erased as documented."""

from __future__ import annotations

import json

import asyncpg
import pytest
from temporalio.api.history.v1 import History
from temporalio.client import Client

from cases.erasure import erase_case
from domain.erasure import ErasureRequest
from storage.case_keys import CaseKeyStore, RingKey
from storage.merchants import MerchantDirectory
from tests.helpers.cli import Stack, cancelflow
from tests.helpers.privacy import (
    IDENTIFIERS,
    MERCHANT,
    Running,
    archive_now,
    closed_case,
    key_ids,
    pg_dump,
    readable_identifiers,
    worker_of,
)
from workers.codec import EncryptionKey


@pytest.fixture
def operator(cli_env: None, running: Running, monkeypatch: pytest.MonkeyPatch) -> Running:
    monkeypatch.setenv(
        "CANCELFLOW_TEMPORAL__TASK_QUEUE", running.stack.settings.temporal.task_queue
    )
    monkeypatch.setenv("CANCELFLOW_CODEC__CASE_KEYS", "true")
    return running


async def test_erase_then_audit_show_and_export_from_the_command_line(operator: Running) -> None:
    case_id = await closed_case(operator)
    await archive_now(operator)
    audit_before = await cancelflow("cases", "audit", case_id)
    assert audit_before.exit_code == 0, audit_before.output
    assert "Agnes Merchantstaff" in audit_before.output

    replayed = await cancelflow("replay", "--case", case_id)
    assert replayed.exit_code == 0 and "1 ok, 0 failed" in replayed.output, replayed.output

    erased = await cancelflow(
        "cases", "erase", case_id, "--reason", "customer asked", "--by", "ops:tester"
    )
    assert erased.exit_code == 0, erased.output
    assert f"case {case_id}: personal data erased on" in erased.output
    again = await cancelflow("cases", "erase", case_id, "--reason", "customer asked again")
    assert again.exit_code == 0 and "already erased on" in again.output

    audit = await cancelflow("cases", "audit", case_id)
    assert audit.exit_code == 0, audit.output
    lines_before = audit_before.output.strip().splitlines()
    lines_after = audit.output.strip().splitlines()
    assert len(lines_after) == len(lines_before) + 1
    assert "Agnes Merchantstaff" not in audit.output and "erased on" in audit.output
    assert "personal_data_erased" in lines_after[-1] and "[by ops:tester]" in lines_after[-1]
    assert "customer asked" in lines_after[-1]

    show = await cancelflow("cases", "show", case_id)
    assert show.exit_code == 0, show.output
    assert "closed" in show.output and "Agnes Merchantstaff" not in show.output
    status = await cancelflow("cases", "status", case_id)
    assert status.exit_code == 0, status.output
    assert "closed" in status.output

    export = await cancelflow("archive", "export", case_id)
    assert export.exit_code == 0, export.output
    record = json.loads(export.output)
    assert record["decrypted"] is False and record["erased"]["erased_by"] == "ops:tester"
    assert readable_identifiers(export.output.encode(), IDENTIFIERS) == []
    assert (await cancelflow("archive", "verify", "--case", case_id)).exit_code == 0
    # The deploy check leaves an erased case out instead of failing on it.
    replayed = await cancelflow("replay", "--case", case_id)
    assert replayed.exit_code == 0, replayed.output
    assert "skipped 1 run(s) of erased cases" in replayed.output

    unknown = await cancelflow("cases", "erase", "no-such-case-1", "--reason", "x")
    assert unknown.exit_code != 0 and "no-such-case-1" in unknown.output


async def test_a_case_from_before_per_case_keys_is_read_and_erased(
    encrypted_client: Client,
    keyed_client: Client,
    stack: Stack,
    pool: asyncpg.Pool,
    codec_keys: list[EncryptionKey],
    database_url: str,
) -> None:
    await MerchantDirectory(pool).upsert(MERCHANT)
    queue = stack.settings.temporal.task_queue
    legacy = Running(encrypted_client, stack, pool)
    async with worker_of(encrypted_client, stack, pool):
        case_id = await closed_case(legacy)
    handle = keyed_client.get_workflow_handle(f"case-{case_id}")
    history = History(events=[e async for e in handle.fetch_history_events()])
    assert key_ids(history) == {codec_keys[0].key_id}, "all under the ring's key"

    async with worker_of(keyed_client, stack, pool):
        receipt = await erase_case(
            keyed_client, case_id, ErasureRequest(reason="customer asked"), queue
        )
    assert not receipt.already
    # No key was ever made for it; its tombstone keeps one from being made now.
    store = CaseKeyStore(pool, [RingKey(codec_keys[0].key_id, codec_keys[0].secret)])
    assert await store.erased_at(case_id) is not None
    assert readable_identifiers(pg_dump(database_url), IDENTIFIERS) == []
