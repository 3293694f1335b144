"""The merchant directory in PostgreSQL."""

from __future__ import annotations

import builtins

import asyncpg
from pydantic import ValidationError

from domain.common import format_validation_error
from domain.merchant import Merchant


class StoredMerchantInvalid(RuntimeError):
    """A stored merchant no longer validates; fixing the row lets a retried activity succeed."""


class MerchantDirectory:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def upsert(self, merchant: Merchant) -> None:
        await self._pool.execute(
            """
            INSERT INTO merchants (merchant_id, merchant, display_name)
            VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (merchant_id) DO UPDATE
               SET merchant = EXCLUDED.merchant,
                   display_name = EXCLUDED.display_name,
                   updated_at = now()
            """,
            merchant.merchant_id,
            merchant.model_dump_json(),
            merchant.display_name,
        )

    async def get(self, merchant_id: str) -> Merchant | None:
        document = await self._pool.fetchval(
            "SELECT merchant::text FROM merchants WHERE merchant_id = $1", merchant_id
        )
        return None if document is None else _parse(merchant_id, document)

    async def list(self) -> builtins.list[Merchant]:
        rows = await self._pool.fetch(
            "SELECT merchant_id, merchant::text AS document FROM merchants ORDER BY merchant_id"
        )
        return [_parse(row["merchant_id"], row["document"]) for row in rows]


def _parse(merchant_id: str, document: str) -> Merchant:
    try:
        return Merchant.model_validate_json(document)
    except ValidationError as err:
        raise StoredMerchantInvalid(
            f"merchant '{merchant_id}' in the directory is not valid: "
            f"{format_validation_error(err)}"
        ) from err
