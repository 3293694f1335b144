"""A data key per case, kept in PostgreSQL wrapped by the codec key ring (crypto-shredding).

Every payload of a case is sealed under its own AES-256 key; the key is stored only wrapped
(AES-GCM, the case id bound as associated data) by one of the ring's keys. Erasing the case
destroys the wrapped key and leaves a tombstone, so no copy of its payloads (Temporal's
history, the archive, a backup of either) can be read again, and the key is never re-made.
"""

from __future__ import annotations

import os
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
# Destroying a key notifies this channel with the case id (at commit), so every process's
# key cache drops it at once (workers/case_key_cache.py).
ERASED_CHANNEL = "cancelflow_case_key_erased"


class CaseKeyErased(LookupError):
    """The case's key was destroyed when its personal data was erased."""

    def __init__(self, case_id: str, erased_at: datetime) -> None:
        super().__init__(
            f"case '{case_id}' was erased on {erased_at.date().isoformat()}: its payloads can no "
            "longer be decrypted"
        )
        self.case_id = case_id
        self.erased_at = erased_at


class WrappingKeyMissing(LookupError):
    """The case key is wrapped by a ring key this process was not given."""


@dataclass(frozen=True)
class RingKey:
    """One key of the codec key ring (workers/codec.py parses them from the settings)."""

    key_id: str
    secret: bytes


class CaseKeyStore:
    """ring[0] wraps new keys; any ring key unwraps (rotation: add the new key first)."""

    def __init__(self, pool: asyncpg.Pool, ring: Sequence[RingKey]) -> None:
        if not ring:
            raise ValueError("CaseKeyStore needs at least one ring key")
        self._pool = pool
        self._wrapping = ring[0]
        self._ring = {k.key_id: AESGCM(k.secret) for k in ring}

    async def key_of(self, case_id: str, *, create: bool) -> bytes | None:
        """The case's data key; with create, made on first use. None: the case has no key
        (its payloads predate per-case keys). Raises CaseKeyErased once it is erased."""
        found = (await self.keys_of([case_id], create={case_id} if create else set()))[case_id]
        if isinstance(found, CaseKeyErased):
            raise found
        return found

    async def keys_of(
        self, case_ids: Sequence[str], *, create: Set[str] = frozenset()
    ) -> dict[str, bytes | None | CaseKeyErased]:
        """Many cases' keys in one read, and those in `create` still missing made in one
        transaction: one commit (one disk flush) for however many cases start at once."""
        make = [c for c in dict.fromkeys(case_ids) if c in create]
        read = [c for c in dict.fromkeys(case_ids) if c not in create]
        rows: dict[str, asyncpg.Record] = {}
        if read:
            rows |= await self._read(read)
        if make:
            # One round trip for reading and making (a case's first payload is a make): the
            # rows made, and those there before (the main query's snapshot predates the
            # INSERT, so it sees only the old ones). Two processes may make a case's key at
            # once: the first row wins, and the loser reads it on its retry below.
            wrapped = [self._wrap(c, AESGCM.generate_key(bit_length=256)) for c in make]
            rows |= {
                r["case_id"]: r
                for r in await self._pool.fetch(
                    "WITH made AS (INSERT INTO case_keys (case_id, wrapping_key_id, wrapped_key) "
                    "SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) "
                    "ON CONFLICT (case_id) DO NOTHING "
                    "RETURNING case_id, wrapping_key_id, wrapped_key, erased_at) "
                    "SELECT * FROM made UNION ALL "
                    "SELECT case_id, wrapping_key_id, wrapped_key, erased_at FROM case_keys "
                    "WHERE case_id = ANY($1::text[])",
                    make,
                    [self._wrapping.key_id] * len(make),
                    wrapped,
                )
            }
            lost = [c for c in make if c not in rows]  # made meanwhile by another process
            if lost:
                rows |= await self._read(lost)
        found: dict[str, bytes | None | CaseKeyErased] = {}
        for case_id in case_ids:
            row = rows.get(case_id)
            if row is None:
                found[case_id] = None
            elif row["erased_at"] is not None:
                found[case_id] = CaseKeyErased(case_id, row["erased_at"])
            else:
                found[case_id] = self._unwrap(case_id, row["wrapping_key_id"], row["wrapped_key"])
        return found

    async def _read(self, case_ids: Sequence[str]) -> dict[str, asyncpg.Record]:
        return {
            r["case_id"]: r
            for r in await self._pool.fetch(
                "SELECT case_id, wrapping_key_id, wrapped_key, erased_at FROM case_keys "
                "WHERE case_id = ANY($1::text[])",
                list(case_ids),
            )
        }

    async def erase(self, case_id: str) -> datetime:
        return await erase_case_key(self._pool, case_id)

    async def erased_at(self, case_id: str) -> datetime | None:
        value: datetime | None = await self._pool.fetchval(
            "SELECT erased_at FROM case_keys WHERE case_id = $1", case_id
        )
        return value

    async def rewrap(self, batch: int = 500) -> int:
        """Re-wrap every live key under ring[0], so an old ring key can then be retired;
        returns how many were re-wrapped."""
        done = 0
        while True:
            rows = await self._pool.fetch(
                "SELECT case_id, wrapping_key_id, wrapped_key FROM case_keys "
                "WHERE wrapped_key IS NOT NULL AND wrapping_key_id <> $1 LIMIT $2",
                self._wrapping.key_id,
                batch,
            )
            if not rows:
                return done
            for row in rows:
                secret = self._unwrap(row["case_id"], row["wrapping_key_id"], row["wrapped_key"])
                await self._pool.execute(
                    "UPDATE case_keys SET wrapping_key_id = $2, wrapped_key = $3 "
                    "WHERE case_id = $1 AND wrapped_key IS NOT NULL",
                    row["case_id"],
                    self._wrapping.key_id,
                    self._wrap(row["case_id"], secret),
                )
                done += 1

    def _wrap(self, case_id: str, secret: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        aad = f"{self._wrapping.key_id}:{case_id}".encode()
        return nonce + self._ring[self._wrapping.key_id].encrypt(nonce, secret, aad)

    def _unwrap(self, case_id: str, key_id: str, wrapped: bytes) -> bytes:
        cipher = self._ring.get(key_id)
        if cipher is None:
            raise WrappingKeyMissing(
                f"case '{case_id}': its key is wrapped by ring key '{key_id}', which is not among "
                f"the configured keys ({', '.join(sorted(self._ring))}); add it to "
                "CANCELFLOW_CODEC__KEYS"
            )
        aad = f"{key_id}:{case_id}".encode()
        return cipher.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], aad)


async def erase_case_key(pool: asyncpg.Pool | asyncpg.Connection, case_id: str) -> datetime:
    """Destroy the case's key (a tombstone for a case that never had one); returns when it
    was first erased, so erasing twice changes nothing."""
    erased_at: datetime = await pool.fetchval(
        "INSERT INTO case_keys (case_id, erased_at) VALUES ($1, now()) "
        "ON CONFLICT (case_id) DO UPDATE SET wrapped_key = NULL, wrapping_key_id = NULL, "
        "erased_at = COALESCE(case_keys.erased_at, now()) RETURNING erased_at",
        case_id,
    )
    # Inside the caller's transaction, delivered when it commits; never if it rolls back.
    await pool.execute("SELECT pg_notify($1, $2)", ERASED_CHANNEL, case_id)
    return erased_at
