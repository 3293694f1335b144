"""Faults where something hangs or dies on its own instead of the whole stack stopping:
PostgreSQL frozen (SIGSTOP on the postmaster and every backend: connections are accepted and
never answered), the worker killed while the portal stays up (production processes), and a
webhook receiver that takes the connection and never answers."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import psutil

from cases.client import start_case
from domain.webhooks import EventType, event_id_for
from storage.db import create_pool
from storage.embedded import postmaster_pid
from storage.merchants import MerchantDirectory
from storage.webhooks import SecretBox, WebhookEndpoints
from tests.faults.intake import Intakes, intake_until_accepted, internal_headers
from tests.faults.scenarios import (
    Row,
    Size,
    all_arrive,
    duplicates,
    new_ids,
    until,
)
from tests.faults.stack import Stack
from tests.helpers.harness import make_merchant, make_request

# The README's promise for an outage, held to during a hang too.
ANSWER_WITHIN_S = 10.0


def postgres_processes(stack: Stack) -> list[psutil.Process]:
    pid = postmaster_pid(Path(stack.postgres.pgdata))
    assert pid is not None, "no postmaster.pid"
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def _signal_all(processes: list[psutil.Process], signum: signal.Signals) -> None:
    for proc in processes:
        try:
            os.kill(proc.pid, signum)
        except ProcessLookupError:
            pass


async def postgres_hung(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "h")
    worker = await stack.worker("worker-h")
    during = Intakes()
    answer_times: list[float] = []
    processes = postgres_processes(stack)
    _signal_all(processes, signal.SIGSTOP)
    try:
        hung_until = time.monotonic() + size.hang_s
        async with httpx.AsyncClient(
            base_url=stack.portal_url, headers=internal_headers(), timeout=120
        ) as http:

            async def probe(case_id: str) -> None:
                body = make_request(case_id).model_dump(mode="json")
                while time.monotonic() < hung_until and case_id not in during.accepted:
                    started = time.monotonic()
                    try:
                        response = await http.post("/api/v1/cases", json=body)
                    except httpx.HTTPError:
                        during.other_5xx += 1
                        continue
                    answer_times.append(time.monotonic() - started)
                    if response.status_code in (200, 201):
                        during.accepted.add(case_id)
                    elif response.status_code == 503 and response.headers.get("Retry-After"):
                        during.retry_after_503 += 1
                    elif response.status_code >= 500:
                        during.other_5xx += 1
                    else:
                        during.refused.append(response.status_code)
                    await asyncio.sleep(1)

            await asyncio.gather(*(probe(i) for i in ids))
    finally:
        _signal_all(processes, signal.SIGCONT)
    after = await intake_until_accepted(stack, ids, size.wait_s)
    lost = await all_arrive(stack, ids, "request", size.wait_s)
    slowest = max(answer_times, default=0.0)
    notes = [
        during.note("during the hang"),
        f"slowest answer during the hang {slowest:.1f} s"
        + (" (UNEXPECTED: over 10 s)" if slowest >= ANSWER_WITHIN_S else ""),
        after.note("after it"),
        "" if worker.alive() else "the worker exited during the hang",
    ]
    worker.stop()
    return Row(
        "PostgreSQL hangs (SIGSTOP)",
        f"{len(ids)} cases (HTTP intake)",
        f"postmaster and {len(processes) - 1} backends stopped {size.hang_s:g} s",
        lost,
        duplicates(stack, ids, ("request",)),
        during.all_5xx + after.all_5xx,
        time.monotonic() - began,
        "; ".join(n for n in notes if n),
        during.retry_after_503 + after.retry_after_503,
    )


async def worker_killed_portal_up(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    ids = new_ids(size.cases, "x")
    late = new_ids(max(1, size.cases // 2), "y")
    worker = await stack.worker("worker-x1")
    # Killed once its cases' requests are out, so no email activity is in flight (the kill
    # tests that hit one wait out its 60 s timeout, full size only): what is tested here is
    # the portal, a process of its own, going on without a worker.
    counts = await intake_until_accepted(stack, ids, size.wait_s)
    await all_arrive(stack, ids, "request", size.wait_s)
    worker.kill9()
    # No worker now; the portal (its own process) goes on taking cases.
    meanwhile = await intake_until_accepted(stack, late, size.wait_s)
    async with httpx.AsyncClient(base_url=stack.portal_url, timeout=30) as http:
        healthy = (await http.get("/healthz")).status_code == 200
    worker = await stack.worker("worker-x2")
    lost = await all_arrive(stack, ids + late, "request", size.wait_s)
    notes = [
        counts.note("before the kill"),
        f"portal took {len(meanwhile.accepted)} of {len(late)} intakes while no worker ran"
        + ("" if len(meanwhile.accepted) == len(late) else " (UNEXPECTED)"),
        meanwhile.note("while no worker ran"),
        "" if healthy else "UNEXPECTED: portal /healthz failed while no worker ran",
    ]
    worker.stop()
    return Row(
        "worker killed, portal up",
        f"{len(ids)} + {len(late)} cases (HTTP intake)",
        "kill -9 of the worker process alone; the portal process keeps serving",
        lost,
        duplicates(stack, ids + late, ("request",)),
        counts.all_5xx + meanwhile.all_5xx,
        time.monotonic() - began,
        "; ".join(n for n in notes if n),
        counts.retry_after_503 + meanwhile.retry_after_503,
    )


class HangingReceiver:
    """A webhook endpoint on this machine: while `hanging`, it reads each request and never
    answers (the connection stays open); otherwise it answers 204 and notes the event id."""

    def __init__(self) -> None:
        self.hanging = True
        self.hung = 0
        self.delivered: dict[str, int] = {}
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        for writer in self._held:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            headers = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
            fields = {k.strip().lower(): v.strip() for k, v in headers.items()}
            await reader.readexactly(int(fields.get("content-length", "0")))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            writer.close()
            return
        if self.hanging:
            self.hung += 1
            self._held.append(writer)  # neither answered nor closed
            return
        event_id = fields.get("webhook-id", "")
        self.delivered[event_id] = self.delivered.get(event_id, 0) + 1
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def webhook_receiver_hangs(stack: Stack, size: Size) -> Row:
    began = time.monotonic()
    receiver = HangingReceiver()
    await receiver.start()
    merchant = make_merchant(merchant_id="hooked", notify_by="email_and_webhook")
    pool = await create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        await MerchantDirectory(pool).upsert(merchant)
        secrets_key = os.environ["CANCELFLOW_WEBHOOKS__SECRETS_KEY"]
        await WebhookEndpoints(pool, SecretBox(secrets_key)).add(
            "hooked", receiver.url, ["cancellation.requested"], "fault suite"
        )
    finally:
        await pool.close()
    worker = await stack.worker(
        "worker-wh",
        extra_env={
            "CANCELFLOW_WEBHOOKS__ALLOW_INSECURE_LOCALHOST": "true",
            "CANCELFLOW_WEBHOOKS__TIMEOUT_SECONDS": "2",
        },
    )
    ids = new_ids(size.cases, "wh")
    client = await stack.client()
    try:
        await asyncio.gather(
            *(start_case(client, make_request(i, merchant_id="hooked"), "faults") for i in ids)
        )
        # The email does not wait for the endpoint: every request email goes out meanwhile.
        emails_lost = await all_arrive(stack, ids, "request", size.wait_s)
        await until(lambda: receiver.hung >= len(ids), size.wait_s, "every event to hang once")
        await asyncio.sleep(size.hang_s)
        receiver.hanging = False
        events = {event_id_for(i, EventType.REQUESTED, 1) for i in ids}
        await until(lambda: events <= set(receiver.delivered), size.wait_s, "every event delivered")
        events_lost = len(events - set(receiver.delivered))
        twice = sum(max(0, receiver.delivered[e] - 1) for e in events & set(receiver.delivered))
    finally:
        worker.stop()
        await receiver.stop()
    return Row(
        "webhook receiver hangs",
        f"{len(ids)} cases, email and webhook",
        f"the endpoint takes each POST and never answers, {size.hang_s:g} s",
        emails_lost + events_lost,
        twice + duplicates(stack, ids, ("request",)),
        None,
        time.monotonic() - began,
        f"{receiver.hung} POSTs hung, each cut at the 2 s timeout and retried; request emails "
        f"not held up; events delivered once each after the endpoint recovered",
    )


HANG_TESTS = [postgres_hung, worker_killed_portal_up, webhook_receiver_hangs]
