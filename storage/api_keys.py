"""Per-merchant API keys, stored hashed in PostgreSQL.

A key reads `cfk_<key_id>_<secret>`: the key_id finds the row, the secret is compared with
its stored SHA-256. Secrets are 256 random bits, so a plain hash (no slow KDF) is enough.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

_KEY = re.compile(r"^cfk_(?P<key_id>[a-f0-9]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: str
    merchant_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiKey:
    info: ApiKeyInfo
    key: str
    """The full key; shown once, never stored."""


class UnknownMerchantForKey(LookupError):
    pass


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()


def _info(row: asyncpg.Record) -> ApiKeyInfo:
    return ApiKeyInfo(
        key_id=row["key_id"],
        merchant_id=row["merchant_id"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


class ApiKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, merchant_id: str, label: str = "default") -> NewApiKey:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        try:
            row = await self._pool.fetchrow(
                """
                INSERT INTO merchant_api_keys (key_id, merchant_id, secret_hash, label)
                VALUES ($1, $2, $3, $4)
                RETURNING key_id, merchant_id, label, created_at, revoked_at, last_used_at
                """,
                key_id,
                merchant_id,
                _hash(secret),
                label,
            )
        except asyncpg.ForeignKeyViolationError as err:
            raise UnknownMerchantForKey(
                f"merchant '{merchant_id}' is not in the merchant directory"
            ) from err
        assert row is not None
        return NewApiKey(info=_info(row), key=f"cfk_{key_id}_{secret}")

    async def authenticate(self, key: str) -> str | None:
        """The merchant_id a live key belongs to, or None for a wrong, malformed or revoked key."""
        match = _KEY.match(key.strip())
        if match is None:
            return None
        row = await self._pool.fetchrow(
            "SELECT merchant_id, secret_hash FROM merchant_api_keys "
            "WHERE key_id = $1 AND revoked_at IS NULL",
            match.group("key_id"),
        )
        if row is None or not hmac.compare_digest(
            bytes(row["secret_hash"]), _hash(match.group("secret"))
        ):
            return None
        await self._pool.execute(
            "UPDATE merchant_api_keys SET last_used_at = now() WHERE key_id = $1",
            match.group("key_id"),
        )
        return str(row["merchant_id"])

    async def revoke(self, key_id: str) -> ApiKeyInfo | None:
        row = await self._pool.fetchrow(
            """
            UPDATE merchant_api_keys SET revoked_at = coalesce(revoked_at, now())
            WHERE key_id = $1
            RETURNING key_id, merchant_id, label, created_at, revoked_at, last_used_at
            """,
            key_id,
        )
        return None if row is None else _info(row)

    async def list(self, merchant_id: str | None = None) -> builtins.list[ApiKeyInfo]:
        rows = await self._pool.fetch(
            """
            SELECT key_id, merchant_id, label, created_at, revoked_at, last_used_at
            FROM merchant_api_keys
            WHERE $1::text IS NULL OR merchant_id = $1
            ORDER BY merchant_id, created_at
            """,
            merchant_id,
        )
        return [_info(row) for row in rows]
