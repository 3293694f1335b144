"""The archive's hash chain: each archived run's bytes hashed into a chain per case and one
across the archive, each day's head chained to the previous day's (issue 20).

    run_sha256   = SHA-256(the run's history bytes, as archived)
    case_link    = H(previous case_link of the case, workflow id, run id, run_sha256)
    archive_link = H(previous archive_link, case_link)
    day_link     = H(previous day's day_link, day, its last archive_link, its run count)

H hashes its parts length-prefixed, so no two sequences of parts hash alike. A run is linked
in the transaction that archives it. Verifying recomputes everything from the archived bytes
and names the first run that breaks: bytes changed, a run removed, runs reordered. Erasure
destroys keys, not bytes, so it keeps the chain valid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import asyncpg

from domain.erasure import ERASURE_WORKFLOW_ID_PREFIX
from storage.erasures import remains_digest

GENESIS = bytes(32)
# Any constant: every process appending to the chain takes this transaction lock.
CHAIN_LOCK_KEY = 0x636861696E  # "chain"


def link(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def case_link(previous: bytes, workflow_id: str, run_id: str, run_sha256: bytes) -> bytes:
    return link(previous, workflow_id.encode(), run_id.encode(), run_sha256)


def day_link(previous: bytes, day: date, last_archive_link: bytes, runs: int) -> bytes:
    return link(previous, day.isoformat().encode(), last_archive_link, str(runs).encode())


async def chain_runs(conn: asyncpg.Connection) -> int:
    """Link every archived run not yet in the chain, in the order they were archived; call
    inside the transaction that archived them. Returns how many were linked."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", CHAIN_LOCK_KEY)
    rows = await conn.fetch(
        "SELECT workflow_id, run_id, case_id, sha256(history) AS run_sha256 FROM case_archive "
        "WHERE NOT chained ORDER BY archived_at, workflow_id, run_id"
    )
    if not rows:
        return 0
    await _append(
        conn,
        [(r["workflow_id"], r["run_id"], r["case_id"], bytes(r["run_sha256"])) for r in rows],
    )
    await conn.execute(
        "UPDATE case_archive SET chained = true WHERE NOT chained AND (workflow_id, run_id) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        [r["workflow_id"] for r in rows],
        [r["run_id"] for r in rows],
    )
    return len(rows)


async def chain_erasure(conn: asyncpg.Connection, case_id: str, remains_sha256: bytes) -> None:
    """Link an erased case's record (what its audit still shows) into its chain, inside the
    erasure's transaction: altering or removing the record then breaks the chain too."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", CHAIN_LOCK_KEY)
    await _append(conn, [(erasure_link_id(case_id), ERASURE_RUN, case_id, remains_sha256)])


ERASURE_RUN = "record"


def erasure_link_id(case_id: str) -> str:
    return f"{ERASURE_WORKFLOW_ID_PREFIX}{case_id}"


async def _append(conn: asyncpg.Connection, links: list[tuple[str, str, str, bytes]]) -> None:
    """(workflow id, run id, case id, SHA-256) each linked after the chain's last link."""
    last = await conn.fetchrow(
        "SELECT seq, archive_link FROM archive_chain ORDER BY seq DESC LIMIT 1"
    )
    seq, previous = (last["seq"], bytes(last["archive_link"])) if last else (0, GENESIS)
    today: date = await conn.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    for workflow_id, run_id, case_id, sha in links:
        before = await conn.fetchval(
            "SELECT case_link FROM archive_chain WHERE case_id = $1 ORDER BY seq DESC LIMIT 1",
            case_id,
        )
        linked = case_link(bytes(before) if before else GENESIS, workflow_id, run_id, sha)
        previous = link(previous, linked)
        seq += 1
        await conn.execute(
            "INSERT INTO archive_chain (seq, workflow_id, run_id, case_id, day, run_sha256, "
            "case_link, archive_link) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            seq,
            workflow_id,
            run_id,
            case_id,
            today,
            sha,
            linked,
            previous,
        )
    await _close_day(conn, today)


async def _close_day(conn: asyncpg.Connection, day: date) -> None:
    head = await conn.fetchrow(
        "SELECT max(seq) AS last_seq, count(*) AS runs FROM archive_chain WHERE day = $1", day
    )
    assert head is not None
    last_link = await conn.fetchval(
        "SELECT archive_link FROM archive_chain WHERE seq = $1", head["last_seq"]
    )
    before = await conn.fetchval(
        "SELECT day_link FROM archive_chain_days WHERE day < $1 ORDER BY day DESC LIMIT 1", day
    )
    await conn.execute(
        "INSERT INTO archive_chain_days (day, last_seq, runs, day_link) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (day) DO UPDATE SET last_seq = EXCLUDED.last_seq, runs = EXCLUDED.runs, "
        "day_link = EXCLUDED.day_link",
        day,
        head["last_seq"],
        head["runs"],
        day_link(bytes(before) if before else GENESIS, day, bytes(last_link), head["runs"]),
    )


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold; `run` is workflow_id/run_id, or None."""

    run: str | None
    case_id: str | None
    problem: str


@dataclass(frozen=True)
class ChainReport:
    runs: int
    days: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


async def verify_chain(pool: asyncpg.Pool, case_id: str | None = None) -> ChainReport:
    """Recompute the chain (of one case, or the whole archive with its day heads) from the
    archived bytes; the breaks in chain order, the first one first."""
    where, args = ("WHERE case_id = $1", [case_id]) if case_id else ("", [])
    chain = await pool.fetch(
        f"SELECT seq, workflow_id, run_id, case_id, day, run_sha256, case_link, archive_link, "
        f"purged_at FROM archive_chain {where} ORDER BY seq",
        *args,
    )
    archived = {
        (r["workflow_id"], r["run_id"]): (bytes(r["run_sha256"]), r["chained"])
        for r in await pool.fetch(
            "SELECT workflow_id, run_id, sha256(history) AS run_sha256, chained "
            f"FROM case_archive {where}",
            *args,
        )
    }
    records = {
        r["case_id"]: remains_digest(json.loads(r["remains"]))
        for r in await pool.fetch(f"SELECT case_id, remains FROM case_erasures {where}", *args)
    }
    breaks: list[ChainBreak] = []
    previous_case: dict[str, bytes] = {}
    previous_link, previous_seq = GENESIS, 0
    for row in chain:
        name = f"{row['workflow_id']}/{row['run_id']}"

        def broken(problem: str, row: asyncpg.Record = row, name: str = name) -> None:
            breaks.append(ChainBreak(name, row["case_id"], problem))

        stored_sha = bytes(row["run_sha256"])
        is_erasure = row["workflow_id"] == erasure_link_id(row["case_id"])
        found = None if is_erasure else archived.pop((row["workflow_id"], row["run_id"]), None)
        if is_erasure:
            record = records.get(row["case_id"])
            if record is None:
                broken("erasure record removed: it is in the chain but not in case_erasures")
            elif record != stored_sha:
                broken("erasure record altered: what the erased case shows no longer hashes")
        elif row["purged_at"] is None and found is None:
            broken("run removed: it is in the chain but not in the archive")
        elif found is not None and found[0] != stored_sha:
            broken("bytes changed: the archived history no longer hashes as it did")
        expected = case_link(
            previous_case.get(row["case_id"], GENESIS),
            row["workflow_id"],
            row["run_id"],
            stored_sha,
        )
        if expected != bytes(row["case_link"]):
            broken(
                "the case's chain does not lead to this run: a run removed or reordered before it"
            )
        previous_case[row["case_id"]] = bytes(row["case_link"])
        if case_id is None:
            if row["seq"] != previous_seq + 1 or link(
                previous_link, bytes(row["case_link"])
            ) != bytes(row["archive_link"]):
                broken(
                    "the archive's chain does not lead to this run: "
                    "a run removed or reordered before it"
                )
            previous_link, previous_seq = bytes(row["archive_link"]), row["seq"]
    for (workflow_id, run_id), (_, chained) in sorted(archived.items()):
        why = "marked chained but missing from the chain" if chained else "not in the chain yet"
        breaks.append(ChainBreak(f"{workflow_id}/{run_id}", None, f"run {why}"))
    days = 0 if case_id else await _verify_days(pool, chain, breaks)
    return ChainReport(runs=len(chain), days=days, breaks=breaks)


async def _verify_days(
    pool: asyncpg.Pool, chain: list[asyncpg.Record], breaks: list[ChainBreak]
) -> int:
    heads: dict[date, tuple[int, bytes, int]] = {}
    for row in chain:
        count = heads[row["day"]][2] + 1 if row["day"] in heads else 1
        heads[row["day"]] = (row["seq"], bytes(row["archive_link"]), count)
    stored = {
        r["day"]: r
        for r in await pool.fetch("SELECT day, last_seq, runs, day_link FROM archive_chain_days")
    }
    previous = GENESIS
    for day in sorted(set(heads) | set(stored)):
        row = stored.get(day)
        if day not in heads or row is None:
            breaks.append(ChainBreak(None, None, f"day {day}: its head and its runs disagree"))
            continue
        last_seq, last_link, runs = heads[day]
        expected = day_link(previous, day, last_link, runs)
        if (row["last_seq"], row["runs"]) != (last_seq, runs) or bytes(row["day_link"]) != expected:
            breaks.append(
                ChainBreak(
                    None,
                    None,
                    f"day {day}: its head names {row['runs']} runs up to #{row['last_seq']}, the "
                    f"chain has {runs} up to #{last_seq} (a run removed or the head altered)",
                )
            )
        previous = bytes(row["day_link"])
    return len(stored)
