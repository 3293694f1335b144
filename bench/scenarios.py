"""One repetition of each measure, for one side. The runner alternates the sides."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.honesty import Answered
from bench.sides import Side, new_key
from bench.stack import RecordingSink


@dataclass
class Bench:
    """What every scenario needs: the client, the sink, the think time, and the record of
    every workflow answered (for the honesty checks at the end)."""

    client: Client
    sink: RecordingSink
    think_seconds: float
    answered: list[Answered]

    async def until_emailed(self, side: Side, key: str) -> None:
        """The merchant email arrived and the workflow waits (its timer started), then a
        merchant's moment to read it. Both sides are watched the same way."""
        await self.sink.wait_for(key, "request")
        await until_timer_started(self.client, [side.workflow_id(key)])
        await asyncio.sleep(self.think_seconds)

    async def answer(self, side: Side, key: str, how: Callable[[], Awaitable[None]]) -> float:
        """Answer through `how`; returns its latency in seconds and records the answer."""
        sent = time.monotonic()
        self.answered.append(Answered(side.name, key, side.workflow_id(key), side.activities, sent))
        await how()
        return time.monotonic() - sent


async def gather_bounded(
    items: Sequence[str], limit: int, one: Callable[[str], Awaitable[None]]
) -> None:
    gate = asyncio.Semaphore(limit)

    async def guarded(item: str) -> None:
        async with gate:
            await one(item)

    await asyncio.gather(*(guarded(item) for item in items))


async def throughput(bench: Bench, side: Side, merchant_id: str, cases: int) -> float:
    """Cases per second, all started at once, each answered after its merchant email."""

    async def one(key: str) -> None:
        await side.start(key, merchant_id)
        await bench.until_emailed(side, key)
        await bench.answer(side, key, lambda: side.answer(key))
        await side.result(key)

    keys = [new_key(f"t{side.name[0]}") for _ in range(cases)]
    started = time.monotonic()
    await gather_bounded(keys, len(keys), one)
    return cases / (time.monotonic() - started)


async def started_and_emailed(bench: Bench, side: Side, merchant_ids: Sequence[str]) -> list[str]:
    keys = [new_key(f"l{side.name[0]}") for _ in merchant_ids]

    async def one(index: int) -> None:
        await side.start(keys[index], merchant_ids[index])
        await bench.until_emailed(side, keys[index])

    await asyncio.gather(*(one(i) for i in range(len(keys))))
    return keys


@dataclass
class PortalAnswers:
    """Answers through the portal's merchant API, as a merchant's integration sends them."""

    http: httpx.AsyncClient
    keys: dict[str, str]
    """merchant_id -> its API key"""

    async def answer(self, merchant_id: str, case_id: str) -> None:
        response = await self.http.post(
            f"/api/v1/merchant/cases/{case_id}/answer",
            json={"outcome": "has_now_been_cancelled", "access_until": "2099-01-01"},
            headers={"Authorization": f"Bearer {self.keys[merchant_id]}"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"portal answer {response.status_code}: {response.text[:300]}")


async def latency(
    bench: Bench,
    side: Side,
    merchant_ids: Sequence[str],
    portal: PortalAnswers | None,
    concurrent: bool,
) -> list[float]:
    """Seconds per answer: through the portal for the case side, a bare Update otherwise.
    One case per merchant; answered one at a time, or all merchants at once."""
    keys = await started_and_emailed(bench, side, merchant_ids)

    async def one(index: int) -> float:
        key, merchant_id = keys[index], merchant_ids[index]
        if portal is None:
            return await bench.answer(side, key, lambda: side.answer(key))
        return await bench.answer(side, key, lambda: portal.answer(merchant_id, key))

    if concurrent:
        seconds = list(await asyncio.gather(*(one(i) for i in range(len(keys)))))
    else:
        seconds = [await one(i) for i in range(len(keys))]
    await asyncio.gather(*(side.result(key) for key in keys))
    return seconds


async def open_cases(bench: Bench, side: Side, merchant_id: str, count: int) -> list[str]:
    """Start `count` workflows and wait until each sent its merchant email (then waits)."""
    keys = [new_key(f"o{side.name[0]}") for _ in range(count)]

    async def one(key: str) -> None:
        await side.start(key, merchant_id)
        await bench.sink.wait_for(key, "request", within=3600)

    await gather_bounded(keys, 200, one)
    return keys


async def until_timer_started(client: Client, workflow_ids: Sequence[str]) -> None:
    """Every workflow has started its timer (read from the histories)."""

    async def one(workflow_id: str) -> None:
        # Polled: the time-skipping server holds a waiting history read until its timeout.
        handle = client.get_workflow_handle(workflow_id)
        while True:
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                    return
            await asyncio.sleep(0.05)

    await gather_bounded(list(workflow_ids), 50, one)
