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
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from domain.merchant import Merchant

# Writing last_used_at on every call cost an UPDATE per API request (issue 12); a minute's
# precision is all "when was this key last used" needs.
LAST_USED_PRECISION = timedelta(minutes=1)

_DEFAULT_TIMEZONE = str(Merchant.model_fields["timezone"].default)

# A revocation in this process empties every store's cache at once (the generation moves on);
# one made elsewhere (another portal replica, the CLI) is seen once the cached entry expires.
_revocations = 0

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


@dataclass(frozen=True)
class KeyHolder:
    """The merchant a live key belongs to, with what an answer needs from the directory."""

    merchant_id: str
    display_name: str
    timezone: str


class UnknownMerchantForKey(LookupError):
    pass


@dataclass(frozen=True)
class _Cached:
    secret_hash: bytes
    holder: KeyHolder
    until: float
    generation: int


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
    def __init__(self, pool: asyncpg.Pool, cache_for: timedelta = timedelta(0)) -> None:
        """cache_for: how long a verified key is trusted without asking PostgreSQL again (the
        portal's merchant API: a few seconds, so a revocation made in another process takes
        effect within that time; one made through any store of this process, at once)."""
        self._pool = pool
        self._cache_seconds = cache_for.total_seconds()
        self._cache: dict[str, _Cached] = {}

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
        holder = await self.authenticate_holder(key)
        return None if holder is None else holder.merchant_id

    async def authenticate_holder(self, key: str) -> KeyHolder | None:
        """The key's merchant (one query, with its name and timezone), or None as above."""
        match = _KEY.match(key.strip())
        if match is None:
            return None
        key_id, secret_hash = match.group("key_id"), _hash(match.group("secret"))
        cached = self._cache.get(key_id)
        if (
            cached is not None
            and cached.generation == _revocations
            and time.monotonic() < cached.until
        ):
            # Only a key that matched its stored hash is cached, and the secret is still
            # compared on every call: a wrong secret for a cached key_id is refused.
            if hmac.compare_digest(cached.secret_hash, secret_hash):
                return cached.holder
            return None
        generation = _revocations
        holder = await self._verified(key_id, secret_hash)
        # Not cached when a revocation committed while this read was on its way: the row
        # read may predate it.
        if holder is not None and self._cache_seconds > 0 and generation == _revocations:
            if len(self._cache) > 10_000:  # keys of a process are few; this bounds a leak
                self._cache.clear()
            self._cache[key_id] = _Cached(
                secret_hash, holder, time.monotonic() + self._cache_seconds, generation
            )
        return holder

    async def _verified(self, key_id: str, secret_hash: bytes) -> KeyHolder | None:
        row = await self._pool.fetchrow(
            """
            SELECT k.merchant_id, k.secret_hash, k.last_used_at < now() - $2::interval AS stale,
                   k.last_used_at IS NULL AS unused, m.display_name,
                   m.merchant ->> 'timezone' AS timezone
            FROM merchant_api_keys k JOIN merchants m USING (merchant_id)
            WHERE k.key_id = $1 AND k.revoked_at IS NULL
            """,
            key_id,
            LAST_USED_PRECISION,
        )
        if row is None or not hmac.compare_digest(bytes(row["secret_hash"]), secret_hash):
            return None
        if row["unused"] or row["stale"]:
            # Concurrent calls may both write: harmless, the condition keeps it rare.
            await self._pool.execute(
                "UPDATE merchant_api_keys SET last_used_at = now() WHERE key_id = $1 "
                "AND (last_used_at IS NULL OR last_used_at < now() - $2::interval)",
                key_id,
                LAST_USED_PRECISION,
            )
        return KeyHolder(
            merchant_id=str(row["merchant_id"]),
            display_name=str(row["display_name"]),
            timezone=str(row["timezone"] or _DEFAULT_TIMEZONE),
        )

    async def revoke(self, key_id: str) -> ApiKeyInfo | None:
        global _revocations
        row = await self._pool.fetchrow(
            """
            UPDATE merchant_api_keys SET revoked_at = coalesce(revoked_at, now())
            WHERE key_id = $1
            RETURNING key_id, merchant_id, label, created_at, revoked_at, last_used_at
            """,
            key_id,
        )
        # After the commit: a read that began before it is not cached (authenticate_holder).
        _revocations += 1
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
