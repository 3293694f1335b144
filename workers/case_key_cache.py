"""The case keys one process uses, behind a cache (issue 20; the codec is workers/codec.py).

The codec runs outside the workflow sandbox, on the worker's event loop, so a cache miss is an
awaited query, never blocking I/O in workflow code.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.case_keys import CaseKeyErased, CaseKeyStore, RingKey


class _Key(Protocol):
    @property
    def key_id(self) -> str: ...

    @property
    def secret(self) -> bytes: ...


class CaseKeys:
    """One process's view of the case keys: PostgreSQL behind a cache.

    The codec runs outside the workflow sandbox, on the worker's event loop, so a cache miss
    is an awaited query, never blocking I/O in workflow code. A hit is a dictionary lookup; an
    entry is re-read after `ttl` seconds, so an erasure by another process is seen within it.
    Misses of the same moment (many cases starting or replaying at once) share one query and
    the keys they make one commit, so a disk flush is paid per batch, not per case.
    """

    def __init__(
        self,
        ring: Sequence[_Key],
        pool: Callable[[], Awaitable[asyncpg.Pool]],
        *,
        ttl: float = 300.0,
        max_cached: int = 20_000,
    ) -> None:
        self._ring = [RingKey(k.key_id, k.secret) for k in ring]
        self._make_pool = pool
        self._ttl = ttl
        self._max_cached = max_cached
        self._cache: OrderedDict[str, tuple[AESGCM, float]] = OrderedDict()
        self._loaders: dict[asyncio.AbstractEventLoop, _Loader] = {}

    def _loader(self) -> _Loader:
        # asyncpg pools and futures belong to one loop (each CLI command runs its own).
        loop = asyncio.get_running_loop()
        loader = self._loaders.get(loop)
        if loader is None:
            loader = _Loader(self._ring, self._make_pool)
            self._loaders = {loop: loader}
        return loader

    async def store(self) -> CaseKeyStore:
        return await self._loader().store()

    async def cipher(self, case_id: str, *, create: bool) -> AESGCM | None:
        """Raises CaseKeyErased for an erased case; None: no key (a case from before)."""
        cached = self._cache.get(case_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            secret = await self._loader().load(case_id, create)
        except CaseKeyErased:
            self._cache.pop(case_id, None)
            raise
        if secret is None:
            return None
        cipher = AESGCM(secret)
        self._cache[case_id] = (cipher, now + self._ttl)
        self._cache.move_to_end(case_id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return cipher

    def forget(self, case_id: str) -> None:
        self._cache.pop(case_id, None)

    async def erase(self, case_id: str) -> datetime:
        self.forget(case_id)
        return await (await self.store()).erase(case_id)


class _Loader:
    """Collects the misses of one event loop iteration and answers them with one query."""

    def __init__(
        self, ring: Sequence[RingKey], make_pool: Callable[[], Awaitable[asyncpg.Pool]]
    ) -> None:
        self._ring = ring
        self._make_pool = make_pool
        self._store: CaseKeyStore | None = None
        self._waiting: dict[str, asyncio.Future[bytes | None]] = {}
        self._create: set[str] = set()
        self._flushing: asyncio.Task[None] | None = None

    async def store(self) -> CaseKeyStore:
        if self._store is None:
            self._store = CaseKeyStore(await self._make_pool(), self._ring)
        return self._store

    async def load(self, case_id: str, create: bool) -> bytes | None:
        future = self._waiting.get(case_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[case_id] = future
        if create:
            self._create.add(case_id)
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the misses of this moment join the batch
        waiting, create = self._waiting, self._create
        self._waiting, self._create, self._flushing = {}, set(), None
        try:
            found = await (await self.store()).keys_of(list(waiting), create=create)
        except BaseException as err:  # every waiter hears of it, none hangs
            for future in waiting.values():
                if not future.done():
                    future.set_exception(err if isinstance(err, Exception) else RuntimeError())
            if not isinstance(err, Exception):
                raise
            return
        for case_id, future in waiting.items():
            value = found.get(case_id)
            if isinstance(value, CaseKeyErased):
                future.set_exception(value)
            else:
                future.set_result(value)
