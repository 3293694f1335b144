"""The case keys one process uses, behind a cache (issue 20; the codec is workers/codec.py).

The codec runs outside the workflow sandbox, on the worker's event loop, so a cache miss is an
awaited query, never blocking I/O in workflow code.

An erasure anywhere reaches every process's cache at once: destroying a key notifies
`ERASED_CHANNEL` (storage/case_keys.py) at the erasure's commit, and each cache listens on a
connection of its own and drops the key. The TTL stays as the backstop for a notification lost
with its connection (the cache is emptied when that connection drops, too).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

import asyncpg
import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.case_keys import ERASED_CHANNEL, CaseKeyErased, CaseKeyStore, RingKey

log = structlog.get_logger()

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class _Key(Protocol):
    @property
    def key_id(self) -> str: ...

    @property
    def secret(self) -> bytes: ...


class CaseKeys:
    """One process's view of the case keys: PostgreSQL behind a cache.

    The codec runs outside the workflow sandbox, on the worker's event loop, so a cache miss
    is an awaited query, never blocking I/O in workflow code. A hit is a dictionary lookup; an
    entry is dropped when any process erases the case (with `listen`, a connection factory to
    the same database), and re-read after `ttl` seconds whatever happens. Misses of the same
    moment (many cases starting or replaying at once) share one query and the keys they make
    one commit, so a disk flush is paid per batch, not per case.
    """

    def __init__(
        self,
        ring: Sequence[_Key],
        pool: Callable[[], Awaitable[asyncpg.Pool]],
        *,
        listen: Connect | None = None,
        ttl: float = 300.0,
        max_cached: int = 20_000,
    ) -> None:
        self._ring = [RingKey(k.key_id, k.secret) for k in ring]
        self._make_pool = pool
        self._listen = listen
        self._ttl = ttl
        self._max_cached = max_cached
        self._cache: OrderedDict[str, tuple[AESGCM, float]] = OrderedDict()
        # When each case was last heard erased: a key read just before its erasure committed,
        # whose notification came while the read was answered, is not cached.
        self._heard: OrderedDict[str, float] = OrderedDict()
        self._loaders: dict[asyncio.AbstractEventLoop, _Loader] = {}

    def _loader(self) -> _Loader:
        # asyncpg pools and futures belong to one loop (each CLI command runs its own).
        loop = asyncio.get_running_loop()
        loader = self._loaders.get(loop)
        if loader is None:
            loader = _Loader(self._ring, self._make_pool, self._listen, self)
            self._loaders = {loop: loader}
        return loader

    async def store(self) -> CaseKeyStore:
        return await self._loader().store()

    async def cipher(self, case_id: str, *, create: bool) -> AESGCM | None:
        """Raises CaseKeyErased for an erased case; None: no key (a case from before)."""
        cached = self._cache.get(case_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            self._cache.move_to_end(case_id)  # least recently used goes first when full
            return cached[0]
        for _ in range(2):
            asked = time.monotonic()
            try:
                secret = await self._loader().load(case_id, create)
            except CaseKeyErased:
                self._cache.pop(case_id, None)
                raise
            if self._heard.get(case_id, -1.0) < asked:
                break
            # Erased while being read: read again, which finds the tombstone.
        else:
            raise RuntimeError(f"case '{case_id}': its key changed while it was read")
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

    def heard_erased(self, case_id: str) -> None:
        """Another process (or this one) destroyed the case's key."""
        self._cache.pop(case_id, None)
        self._heard[case_id] = time.monotonic()
        self._heard.move_to_end(case_id)
        while len(self._heard) > 1000:
            self._heard.popitem(last=False)

    def forget_all(self) -> None:
        """Notifications may have been missed (the listening connection dropped)."""
        self._cache.clear()

    def cached(self, case_id: str) -> bool:
        return case_id in self._cache

    async def erase(self, case_id: str) -> datetime:
        self.forget(case_id)
        return await (await self.store()).erase(case_id)


class _Loader:
    """Collects the misses of one event loop iteration and answers them with one query."""

    def __init__(
        self,
        ring: Sequence[RingKey],
        make_pool: Callable[[], Awaitable[asyncpg.Pool]],
        listen: Connect | None,
        keys: CaseKeys,
    ) -> None:
        self._ring = ring
        self._make_pool = make_pool
        self._listen = listen
        self._keys = keys
        self._listener: asyncpg.Connection | None = None
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

    async def _listening(self) -> None:
        """Listen for erasures before any key is read, so none committed after the read is
        missed; if listening fails, the TTL alone bounds how long a destroyed key is kept."""
        if self._listen is None or (self._listener is not None and not self._listener.is_closed()):
            return
        try:
            conn = await self._listen()
        except (OSError, asyncpg.PostgresError) as err:
            log.warning("case_keys.listen_failed", error=type(err).__name__)
            return

        def heard(_c: object, _pid: int, _channel: str, case_id: str) -> None:
            self._keys.heard_erased(case_id)

        def lost(_c: object) -> None:
            self._listener = None
            self._keys.forget_all()

        try:
            await conn.add_listener(ERASED_CHANNEL, heard)
        except (OSError, asyncpg.PostgresError) as err:
            log.warning("case_keys.listen_failed", error=type(err).__name__)
            with contextlib.suppress(Exception):
                await conn.close()
            return
        conn.add_termination_listener(lost)
        self._listener = conn

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the misses of this moment join the batch
        waiting, create = self._waiting, self._create
        self._waiting, self._create, self._flushing = {}, set(), None
        try:
            await self._listening()
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
