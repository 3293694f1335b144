"""The one way the suite waits for something another task or process does: poll until it holds.

Polling is for positive conditions only. To show that something did *not* happen, wait for a
later event that would have come after it (or use the time-skipping server), never for a
stretch of real time.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from temporalio.service import RPCError

T = TypeVar("T")

INTERVAL = 0.05


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    accept: None = None,
    *,
    what: str = ...,
    within: float = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], object],
    *,
    what: str = ...,
    within: float = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None],
    accept: None = None,
    *,
    what: str = ...,
    within: float = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T],
    accept: Callable[[T], object],
    *,
    what: str = ...,
    within: float = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    accept: Callable[[Any], object] | None = None,
    *,
    what: str = "the condition",
    within: float = 30.0,
) -> object:
    """Call probe (sync or async) until accept(result) holds, and return that result.

    Without accept, a result counts once it is neither None, False, 0 nor empty. An RPC error
    (a query timing out while a loaded machine is slow to run the worker) is retried until the
    deadline. On timeout, fails naming `what`, the last result and the last error.
    """
    check: Callable[[Any], object] = accept or bool
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    result: object = None
    error: Exception | None = None
    while True:
        try:
            result = probe()
            if inspect.isawaitable(result):
                result = await result
            if check(result):
                return result
        except RPCError as err:
            error = err
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out after {within} s waiting for {what}; "
                f"last result: {result!r}, last error: {error!r}"
            )
        await asyncio.sleep(INTERVAL)
