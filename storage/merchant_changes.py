"""The log of changes to a merchant's settings: who, when, what (never a secret)."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class MerchantChange:
    merchant_id: str
    changed_by: str
    changed_at: datetime
    what: str
    detail: dict[str, Any]


class MerchantChanges:
    def __init__(self, pool: asyncpg.Pool | asyncpg.Connection) -> None:
        self._db = pool

    async def record(
        self, merchant_id: str, changed_by: str, what: str, detail: dict[str, Any] | None = None
    ) -> None:
        await self._db.execute(
            "INSERT INTO merchant_changes (merchant_id, changed_by, what, detail) "
            "VALUES ($1, $2, $3, $4::jsonb)",
            merchant_id,
            changed_by,
            what,
            json.dumps(detail or {}, default=str),
        )

    async def list(self, merchant_id: str, limit: int = 50) -> builtins.list[MerchantChange]:
        rows = await self._db.fetch(
            """
            SELECT merchant_id, changed_by, changed_at, what, detail::text AS detail
            FROM merchant_changes WHERE merchant_id = $1
            ORDER BY changed_at DESC, id DESC LIMIT $2
            """,
            merchant_id,
            limit,
        )
        return [
            MerchantChange(
                merchant_id=r["merchant_id"],
                changed_by=r["changed_by"],
                changed_at=r["changed_at"],
                what=r["what"],
                detail=json.loads(r["detail"]),
            )
            for r in rows
        ]
