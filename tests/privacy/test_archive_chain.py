"""The archive's hash chain: intact runs verify; a run's bytes altered, a run deleted, two runs
swapped or reordered by SQL make `archive verify` fail naming the first run that breaks it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.erasure import ErasureTrigger
from storage.archive import ArchivedRun, ArchiveStore
from storage.archive_chain import chain_erasure, verify_chain
from storage.erasures import ErasureRecord, ErasureStore, remains_digest
from tests.helpers.cli import cancelflow


def run_of(case_id: str, number: int, at: datetime) -> ArchivedRun:
    return ArchivedRun(
        workflow_id=f"case-{case_id}",
        run_id=f"run-{case_id}-{number}",
        case_id=case_id,
        merchant_id="m-1",
        round=number,
        final_status="closed",
        workflow_status="COMPLETED",
        start_time=at,
        close_time=at + timedelta(minutes=1),
        history=f"history bytes of {case_id} run {number}".encode(),
        event_count=3,
    )


async def archive_three_cases(pool: asyncpg.Pool) -> ArchiveStore:
    store = ArchiveStore(pool)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    for number in (1, 2):
        for case_id in ("alpha", "beta", "gamma"):
            assert await store.write(run_of(case_id, number, at))
    assert not await store.write(run_of("alpha", 1, at))  # archived once, linked once
    return store


async def test_an_intact_archive_verifies_per_case_and_across_days(pool: asyncpg.Pool) -> None:
    await archive_three_cases(pool)
    report = await verify_chain(pool)
    assert report.ok, report.breaks
    assert (report.runs, report.days) == (6, 1)
    assert (await verify_chain(pool, "beta")).runs == 2
    # A later day's head is chained to the earlier one.
    await pool.execute("UPDATE archive_chain SET day = day - 1 WHERE seq <= 3")
    await pool.execute("UPDATE archive_chain_days SET day = day - 1, last_seq = 3, runs = 3 ")
    report = await verify_chain(pool)
    assert not report.ok and "day" in report.breaks[0].problem


@pytest.mark.parametrize(
    ("tamper", "named", "problem"),
    [
        (
            "UPDATE case_archive SET history = history || '\\x00'::bytea "
            "WHERE run_id = 'run-beta-1'",
            "case-beta/run-beta-1",
            "bytes changed",
        ),
        (
            "DELETE FROM case_archive WHERE run_id = 'run-gamma-2'",
            "case-gamma/run-gamma-2",
            "removed",
        ),
        (
            # Two runs' bytes swapped: each is where the other was.
            "UPDATE case_archive a SET history = b.history FROM case_archive b "
            "WHERE (a.run_id, b.run_id) IN (('run-alpha-2', 'run-beta-2'), "
            "('run-beta-2', 'run-alpha-2'))",
            "case-alpha/run-alpha-2",
            "bytes changed",
        ),
        (
            # The chain's own rows reordered: beta's two runs exchange places.
            "UPDATE archive_chain SET seq = -seq WHERE seq IN (2, 5); "
            "UPDATE archive_chain SET seq = CASE seq WHEN -2 THEN 5 ELSE 2 END WHERE seq < 0",
            "case-beta/run-beta-2",
            "reordered",
        ),
        (
            # A run and its link both deleted: the next run no longer follows.
            "WITH gone AS (DELETE FROM archive_chain WHERE run_id = 'run-alpha-1' RETURNING 1) "
            "DELETE FROM case_archive WHERE run_id = 'run-alpha-1'",
            "case-beta/run-beta-1",
            "removed or reordered",
        ),
    ],
)
async def test_tampering_by_sql_is_named(
    pool: asyncpg.Pool, tamper: str, named: str, problem: str
) -> None:
    await archive_three_cases(pool)
    await pool.execute(tamper)
    report = await verify_chain(pool)
    assert not report.ok
    assert report.breaks[0].run == named, report.breaks
    assert problem in report.breaks[0].problem


async def test_archive_verify_command_exits_1_naming_the_run(
    pool: asyncpg.Pool, cli_env: None
) -> None:
    await archive_three_cases(pool)
    intact = await cancelflow("archive", "verify")
    assert intact.exit_code == 0, intact.output
    assert "chain intact: 6 run(s)" in intact.output
    await pool.execute(
        "UPDATE case_archive SET history = 'forged'::bytea WHERE run_id = 'run-gamma-1'"
    )
    broken = await cancelflow("archive", "verify", "--case", "gamma")
    assert broken.exit_code == 1
    assert "case-gamma/run-gamma-1" in broken.output and "bytes changed" in broken.output
    assert (await cancelflow("archive", "verify", "--case", "alpha")).exit_code == 0


async def test_runs_archived_before_the_chain_are_linked_first_by_the_next_write(
    pool: asyncpg.Pool,
) -> None:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    old = run_of("legacy", 1, at)
    await pool.execute(
        "INSERT INTO case_archive (workflow_id, run_id, case_id, workflow_status, close_time, "
        "history, event_count, archived_at) VALUES ($1, $2, $3, 'COMPLETED', $4, $5, 3, $4)",
        old.workflow_id,
        old.run_id,
        old.case_id,
        old.close_time,
        old.history,
    )
    report = await verify_chain(pool)
    assert report.breaks[0].run == "case-legacy/run-legacy-1"
    assert "not in the chain yet" in report.breaks[0].problem
    await ArchiveStore(pool).write(run_of("newer", 1, at))
    assert (await verify_chain(pool)).ok
    first = await pool.fetchval("SELECT run_id FROM archive_chain WHERE seq = 1")
    assert first == "run-legacy-1"


async def test_an_erased_cases_record_is_in_its_chain(pool: asyncpg.Pool) -> None:
    await archive_three_cases(pool)
    record = ErasureRecord(
        case_id="beta",
        erased_at=datetime.now(UTC),
        erased_by="ops:test",
        reason="asked",
        trigger=ErasureTrigger.REQUEST,
        withdrawn=False,
        remains={"entries": [{"kind": "case_closed", "actor": "erased on 2026-12-01"}]},
    )
    async with pool.acquire() as conn, conn.transaction():
        await ErasureStore(pool).record(record, conn)
        await chain_erasure(conn, "beta", remains_digest(record.remains))
    assert (await verify_chain(pool)).ok and (await verify_chain(pool, "beta")).ok
    # Rewriting what the erased case shows (its hash column too) breaks its chain.
    forged = {"entries": [{"kind": "case_closed", "actor": "someone else"}]}
    await pool.execute(
        "UPDATE case_erasures SET remains = $1::jsonb, remains_sha256 = $2 WHERE case_id = 'beta'",
        json.dumps(forged),
        remains_digest(forged),
    )
    report = await verify_chain(pool, "beta")
    assert report.breaks[0].run == "erasure-beta/record"
    assert "erasure record altered" in report.breaks[0].problem
    await pool.execute("DELETE FROM case_erasures WHERE case_id = 'beta'")
    assert "erasure record removed" in (await verify_chain(pool)).breaks[0].problem
