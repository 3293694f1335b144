"""Erasures again after a restore (docs/privacy.md, "Key backups without undoing erasures").

A backup taken before an erasure holds the case's wrapped key and its personal rows. The
erasure records hold no personal data, so they are exported as a log kept apart from the
backups (`cancelflow codec export-erasures`); after a restore, every erasure the restored
database or the log names is done again (`cancelflow codec reapply-erasures`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

from domain.erasure import erased_marker
from storage.archive_chain import chain_erasure
from storage.erasures import ErasureRecord, ErasureStore, remains_digest, strike_case


@dataclass(frozen=True)
class Reapplied:
    struck: int
    """Erased cases whose tables were struck and keys destroyed again."""
    recorded: int
    """Of those, how many had no record in the database (erased after its backup was taken)
    and got theirs back from the log."""


async def reapply_erasures(pool: asyncpg.Pool, log: Iterable[ErasureRecord] = ()) -> Reapplied:
    """After a restore: every erasure the database records, and every one in `log` (exported
    before, kept apart from the backups), done again: the record put back if missing (and
    chained), each table struck, the key destroyed. Idempotent; run it before any process
    reads the restored database."""
    store = ErasureStore(pool)
    missing = {r.case_id: r for r in log}
    case_ids = [r["case_id"] for r in await pool.fetch("SELECT case_id FROM case_erasures")]
    struck = recorded = 0
    for case_id in [*case_ids, *(c for c in missing if c not in set(case_ids))]:
        async with pool.acquire() as conn, conn.transaction():
            kept = await store.get(case_id, conn)
            if kept is None:
                kept, created = await store.record(missing[case_id], conn)
                if created:
                    await chain_erasure(conn, case_id, remains_digest(kept.remains))
                    recorded += 1
            await strike_case(conn, case_id, erased_marker(kept.erased_at.date()))
        struck += 1
    return Reapplied(struck=struck, recorded=recorded)
