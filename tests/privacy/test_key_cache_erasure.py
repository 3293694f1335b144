"""An erasure reaches every process's key cache within seconds, not the cache's TTL: destroying
a key notifies PostgreSQL's channel and each cache drops it (workers/case_key_cache.py). Two
caches with their own pools and listeners on the test's real database, and a real `cancelflow
codec serve` process that decodes a case until another process erases it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import WorkflowSerializationContext

from storage.case_keys import CaseKeyErased, erase_case_key
from tests.eventually import eventually
from tests.helpers.cli import CANCELFLOW, Stack
from tests.helpers.servers import free_port
from workers.codec import CaseKeyCodec, CaseKeys, EncryptionKey, format_keys


@contextlib.asynccontextmanager
async def cache_of(database_url: str, keys: list[EncryptionKey]) -> AsyncIterator[CaseKeys]:
    """A cache as another process has it: its own pool and its own listening connection."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    opened: list[asyncpg.Connection] = []

    async def the_pool() -> asyncpg.Pool:
        return pool

    async def listen() -> asyncpg.Connection:
        opened.append(await asyncpg.connect(database_url))
        return opened[-1]

    try:
        # A TTL far longer than the test: only the notification can drop the key.
        yield CaseKeys(keys, the_pool, listen=listen, ttl=3600)
    finally:
        for conn in opened:
            await conn.close()
        await pool.close()


async def erase_as_the_erasure_does(pool: asyncpg.Pool, case_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await erase_case_key(conn, case_id)


async def test_every_cache_drops_a_key_erased_elsewhere_at_once(
    database_url: str, codec_keys: list[EncryptionKey], pool: asyncpg.Pool
) -> None:
    async with cache_of(database_url, codec_keys) as a, cache_of(database_url, codec_keys) as b:
        assert await a.cipher("kc-1", create=True) is not None
        assert await b.cipher("kc-1", create=False) is not None
        assert await a.cipher("kc-2", create=True) is not None
        assert a.cached("kc-1") and b.cached("kc-1")

        erased = time.monotonic()
        await erase_as_the_erasure_does(pool, "kc-1")
        await eventually(lambda: not a.cached("kc-1") and not b.cached("kc-1"), within=5)
        assert time.monotonic() - erased < 5
        for cache in (a, b):
            with pytest.raises(CaseKeyErased):
                await cache.cipher("kc-1", create=False)
        assert a.cached("kc-2"), "another case's key stays cached"

        # A rolled-back erasure notifies nobody.
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            await erase_case_key(conn, "kc-2")
            await transaction.rollback()
        await asyncio.sleep(0.5)
        assert a.cached("kc-2")


async def test_a_lost_listening_connection_empties_the_cache_and_listens_again(
    database_url: str, codec_keys: list[EncryptionKey], pool: asyncpg.Pool
) -> None:
    async with cache_of(database_url, codec_keys) as a:
        await a.cipher("kc-3", create=True)
        await a.cipher("kc-4", create=True)
        await pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
        )
        # Notifications sent meanwhile may be lost: nothing cached is trusted.
        await eventually(lambda: not a.cached("kc-3") and not a.cached("kc-4"), within=5)
        await a.cipher("kc-3", create=False)  # a miss: reads the key and listens again
        await eventually(
            lambda: pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
                "AND datname = current_database()"
            ),
            what="a listener again",
            within=5,
        )
        await erase_as_the_erasure_does(pool, "kc-3")
        await eventually(lambda: not a.cached("kc-3"), within=5)


async def test_a_codec_server_process_stops_decoding_a_case_erased_by_another(
    stack: Stack, codec_keys: list[EncryptionKey], case_keys: CaseKeys, pool: asyncpg.Pool
) -> None:
    codec = CaseKeyCodec(codec_keys, case_keys)
    in_case = codec.with_context(WorkflowSerializationContext("default", "case-kc-5"))
    [sealed] = await in_case.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    body = json_format.MessageToJson(Payloads(payloads=[sealed]))
    env = stack.env | {
        "CANCELFLOW_CODEC__KEYS": format_keys(codec_keys),
        "CANCELFLOW_CODEC__PORT": str(free_port()),
        "CANCELFLOW_CODEC__CASE_KEYS": "true",
    }
    server = await asyncio.create_subprocess_exec(
        CANCELFLOW,
        "codec",
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
        url = line.removeprefix("codec server at ").split(" ")[0]
        assert url.startswith("http://"), line
        async with httpx.AsyncClient(base_url=url) as http:
            clear = await http.post("/decode", content=body)
            assert clear.status_code == 200, clear.text  # the server's cache holds the key now
            erased = time.monotonic()
            await erase_as_the_erasure_does(pool, "kc-5")

            async def status() -> int:
                return (await http.post("/decode", content=body)).status_code

            await eventually(status, lambda code: code == 400, what="refused", within=5)
            assert time.monotonic() - erased < 5
    finally:
        server.terminate()
        await server.wait()
