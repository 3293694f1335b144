"""Batches of answers and their rows (migration 0014): what was accepted, and how each row ended.

A batch and all its rows are written in one transaction before its job starts, so an
accepted batch is never half stored; a row's result is set once (only while it is NULL), so
a job retried after a crash cannot count a row twice.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.bulk_answers import BatchCounts, BatchSource, RowProblem, RowResult
from domain.erasure import redact


@dataclass(frozen=True)
class NewItem:
    case_id: str
    answer: dict[str, Any] | None
    """The answer's own fields (outcome, dates, message); None when refused on arrival."""
    problem: RowProblem | None = None
    row_number: int | None = None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    merchant_id: str
    source: BatchSource
    idempotency_key: str | None
    request_digest: str
    answered_at: datetime
    timezone: str
    """The merchant's zone: the answer's date is its date there, as for a single answer."""
    channel: str
    responded_by: str
    total: int
    blank_rows: int
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class PendingItem:
    position: int
    case_id: str
    answer: dict[str, Any]


@dataclass(frozen=True)
class ItemResult:
    position: int
    row_number: int | None
    case_id: str
    answer: dict[str, Any] | None
    result: RowResult | None
    problem: RowProblem | None


class IdempotencyKeyReused(Exception):
    """The key was used before with a different body."""


_BATCH_COLUMNS = (
    "batch_id, merchant_id, source, idempotency_key, request_digest, answered_at, timezone, "
    "channel, "
    "responded_by, total, blank_rows, created_at, completed_at"
)


def _batch(row: asyncpg.Record) -> Batch:
    return Batch(**{**dict(row), "source": BatchSource(row["source"])})


class BulkAnswerBatches:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self,
        *,
        batch_id: str,
        merchant_id: str,
        source: BatchSource,
        request_digest: str,
        answered_at: datetime,
        timezone: str,
        channel: str,
        responded_by: str,
        items: builtins.list[NewItem],
        idempotency_key: str | None = None,
        blank_rows: int = 0,
    ) -> tuple[Batch, bool]:
        """The new batch (True), or the one stored before under the same idempotency key
        (False); raises IdempotencyKeyReused when that one was for a different body."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"""
                INSERT INTO bulk_answer_batches (batch_id, merchant_id, source,
                    idempotency_key, request_digest, answered_at, timezone, channel,
                    responded_by, total, blank_rows)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (merchant_id, idempotency_key) DO NOTHING
                RETURNING {_BATCH_COLUMNS}
                """,
                batch_id,
                merchant_id,
                source.value,
                idempotency_key,
                request_digest,
                answered_at,
                timezone,
                channel,
                responded_by,
                len(items),
                blank_rows,
            )
            if row is None:
                existing = await conn.fetchrow(
                    f"SELECT {_BATCH_COLUMNS} FROM bulk_answer_batches "
                    "WHERE merchant_id = $1 AND idempotency_key = $2",
                    merchant_id,
                    idempotency_key,
                )
                assert existing is not None
                if existing["request_digest"] != request_digest:
                    raise IdempotencyKeyReused(idempotency_key)
                return _batch(existing), False
            await conn.copy_records_to_table(
                "bulk_answer_items",
                columns=[
                    "batch_id",
                    "position",
                    "row_number",
                    "case_id",
                    "answer",
                    "result",
                    "problem",
                    "finished_at",
                ],
                records=[
                    (
                        batch_id,
                        position,
                        item.row_number,
                        item.case_id,
                        None if item.answer is None else json.dumps(item.answer),
                        None if item.problem is None else RowResult.REFUSED.value,
                        None if item.problem is None else item.problem.model_dump_json(),
                        None if item.problem is None else row["created_at"],
                    )
                    for position, item in enumerate(items)
                ],
            )
            return _batch(row), True

    async def get(self, batch_id: str, merchant_id: str | None = None) -> Batch | None:
        row = await self._pool.fetchrow(
            f"SELECT {_BATCH_COLUMNS} FROM bulk_answer_batches "
            "WHERE batch_id = $1 AND ($2::text IS NULL OR merchant_id = $2)",
            batch_id,
            merchant_id,
        )
        return None if row is None else _batch(row)

    async def earlier_with_digest(self, batch: Batch) -> Batch | None:
        """The merchant's last batch before this one with the same content (the same file)."""
        row = await self._pool.fetchrow(
            f"SELECT {_BATCH_COLUMNS} FROM bulk_answer_batches "
            "WHERE merchant_id = $1 AND request_digest = $2 AND source = $3 "
            "AND batch_id <> $4 AND created_at <= $5 ORDER BY created_at DESC LIMIT 1",
            batch.merchant_id,
            batch.request_digest,
            batch.source.value,
            batch.batch_id,
            batch.created_at,
        )
        return None if row is None else _batch(row)

    async def recent(self, merchant_id: str, limit: int = 10) -> builtins.list[Batch]:
        rows = await self._pool.fetch(
            f"SELECT {_BATCH_COLUMNS} FROM bulk_answer_batches WHERE merchant_id = $1 "
            "ORDER BY created_at DESC LIMIT $2",
            merchant_id,
            limit,
        )
        return [_batch(r) for r in rows]

    async def counts(self, batch_id: str) -> BatchCounts:
        row = await self._pool.fetchrow(
            """
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE result = 'recorded') AS recorded,
                   count(*) FILTER (WHERE result = 'already_recorded') AS already_recorded,
                   count(*) FILTER (WHERE result = 'refused') AS refused
            FROM bulk_answer_items WHERE batch_id = $1
            """,
            batch_id,
        )
        assert row is not None
        return BatchCounts(**dict(row))

    async def pending(self, batch_id: str, limit: int) -> builtins.list[PendingItem]:
        rows = await self._pool.fetch(
            "SELECT position, case_id, answer::text AS answer FROM bulk_answer_items "
            "WHERE batch_id = $1 AND result IS NULL ORDER BY position LIMIT $2",
            batch_id,
            limit,
        )
        return [
            PendingItem(
                position=r["position"], case_id=r["case_id"], answer=json.loads(r["answer"])
            )
            for r in rows
        ]

    async def finish_item(
        self, batch_id: str, position: int, result: RowResult, problem: RowProblem | None
    ) -> bool:
        """Sets the row's result unless it has one; False when it had."""
        status = await self._pool.execute(
            "UPDATE bulk_answer_items SET result = $3, problem = $4::jsonb, finished_at = now() "
            "WHERE batch_id = $1 AND position = $2 AND result IS NULL",
            batch_id,
            position,
            result.value,
            None if problem is None else problem.model_dump_json(),
        )
        return bool(status.endswith(" 1"))

    async def complete(self, batch_id: str) -> BatchCounts:
        counts = await self.counts(batch_id)
        if counts.left == 0:
            await self._pool.execute(
                "UPDATE bulk_answer_batches SET completed_at = coalesce(completed_at, now()) "
                "WHERE batch_id = $1",
                batch_id,
            )
        return counts

    async def results(
        self,
        batch_id: str,
        offset: int = 0,
        limit: int | None = None,
        only: RowResult | None = None,
    ) -> builtins.list[ItemResult]:
        rows = await self._pool.fetch(
            """
            SELECT position, row_number, case_id, answer::text AS answer, result,
                   problem::text AS problem
            FROM bulk_answer_items WHERE batch_id = $1 AND ($4::text IS NULL OR result = $4)
            ORDER BY position OFFSET $2 LIMIT $3
            """,
            batch_id,
            offset,
            limit,
            None if only is None else only.value,
        )
        return [
            ItemResult(
                position=r["position"],
                row_number=r["row_number"],
                case_id=r["case_id"],
                answer=None if r["answer"] is None else json.loads(r["answer"]),
                result=None if r["result"] is None else RowResult(r["result"]),
                problem=None
                if r["problem"] is None
                else RowProblem.model_validate_json(r["problem"]),
            )
            for r in rows
        ]


async def erase_case_bulk_answers(
    conn: asyncpg.Pool | asyncpg.Connection, case_id: str, marker: str
) -> int:
    """Erasure (issue 20): the case's rows in every batch keep their positions, outcomes,
    dates and results and lose the personal fields (domain/erasure.py) of the answer and of
    the problem (a refusal's detail can quote what was sent). The batch itself names only the
    merchant's side (who sent it), not the customer, and stays. Returns how many rows changed."""
    rows = await conn.fetch(
        "SELECT batch_id, position, answer::text AS answer, problem::text AS problem "
        "FROM bulk_answer_items WHERE case_id = $1",
        case_id,
    )
    changed = 0
    for row in rows:
        kept = [None if row[n] is None else json.loads(row[n]) for n in ("answer", "problem")]
        struck = [redact(value, marker) for value in kept]
        if struck == kept:
            continue
        await conn.execute(
            "UPDATE bulk_answer_items SET answer = $3::jsonb, problem = $4::jsonb "
            "WHERE batch_id = $1 AND position = $2",
            row["batch_id"],
            row["position"],
            *(None if value is None else json.dumps(value) for value in struck),
        )
        changed += 1
    return changed
