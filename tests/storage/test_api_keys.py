"""API keys on a real PostgreSQL: the key's merchant in one query, last_used_at written rarely."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from domain.merchant import Merchant
from storage.api_keys import ApiKeyStore, KeyHolder
from storage.db import create_pool, migrate
from storage.merchants import MerchantDirectory


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    await migrate(pool)
    await MerchantDirectory(pool).upsert(
        Merchant.model_validate(
            {
                "merchant_id": "streamco",
                "display_name": "StreamCo",
                "cancellation_emails": ["cancel@streamco.example"],
                "timezone": "Europe/Berlin",
            }
        )
    )
    try:
        yield pool
    finally:
        await pool.close()


async def _last_used(pool: asyncpg.Pool, key_id: str) -> object:
    return await pool.fetchval(
        "SELECT last_used_at FROM merchant_api_keys WHERE key_id = $1", key_id
    )


async def test_a_key_names_its_merchant_with_name_and_timezone(pool: asyncpg.Pool) -> None:
    store = ApiKeyStore(pool)
    new = await store.create("streamco")
    assert await store.authenticate_holder(new.key) == KeyHolder(
        merchant_id="streamco", display_name="StreamCo", timezone="Europe/Berlin"
    )
    assert await store.authenticate(new.key + "x") is None
    await store.revoke(new.info.key_id)
    assert await store.authenticate(new.key) is None


async def test_last_used_at_is_written_at_most_once_a_minute(pool: asyncpg.Pool) -> None:
    store = ApiKeyStore(pool)
    new = await store.create("streamco")
    key_id = new.info.key_id
    assert await _last_used(pool, key_id) is None

    assert await store.authenticate(new.key) == "streamco"
    first = await _last_used(pool, key_id)
    assert first is not None
    # Each authenticate runs in its own transaction, so now() differs between calls:
    # an unchanged value means the second call did not write.
    assert await store.authenticate(new.key) == "streamco"
    assert await _last_used(pool, key_id) == first

    await pool.execute(
        "UPDATE merchant_api_keys SET last_used_at = now() - interval '61 seconds' "
        "WHERE key_id = $1",
        key_id,
    )
    aged = await _last_used(pool, key_id)
    assert await store.authenticate(new.key) == "streamco"
    refreshed = await _last_used(pool, key_id)
    assert refreshed is not None and refreshed != aged


async def test_a_cached_key_is_refused_at_once_when_revoked_here_and_within_its_ttl_elsewhere(
    pool: asyncpg.Pool,
) -> None:
    cached = ApiKeyStore(pool, cache_for=timedelta(seconds=0.5))
    revoked_here = await ApiKeyStore(pool).create("streamco", "here")
    revoked_elsewhere = await ApiKeyStore(pool).create("streamco", "elsewhere")
    for key in (revoked_here.key, revoked_elsewhere.key):
        assert await cached.authenticate(key) == "streamco"

    # A wrong secret for a cached key id is refused: the cache keeps the hash, not a verdict.
    wrong = revoked_here.key[:-2] + ("AA" if not revoked_here.key.endswith("AA") else "BB")
    assert await cached.authenticate(wrong) is None

    # Through any store of this process: refused on the next call.
    await ApiKeyStore(pool).revoke(revoked_here.info.key_id)
    assert await cached.authenticate(revoked_here.key) is None

    # Another process (here: plain SQL): trusted until the entry expires, then refused.
    assert await cached.authenticate(revoked_elsewhere.key) == "streamco"
    await pool.execute(
        "UPDATE merchant_api_keys SET revoked_at = now() WHERE key_id = $1",
        revoked_elsewhere.info.key_id,
    )
    assert await cached.authenticate(revoked_elsewhere.key) == "streamco"
    await asyncio.sleep(0.6)
    assert await cached.authenticate(revoked_elsewhere.key) is None
