"""A PostgreSQL that hangs (SIGSTOP on the postmaster and every backend) gives 503 with
Retry-After within 10 s, not a request that hangs as long as the database does (#16.4).
A dead server refuses connections at once; a stopped one accepts them and never answers,
which only bounded waits (storage/db.py, DatabaseWaits) turn into an error."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psutil

from portal.app import create_app, serve_portal
from storage.api_keys import ApiKeyStore
from storage.db import create_pool, migrate
from storage.embedded import postmaster_pid
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.cli import CANCELFLOW
from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.own_postgres import own_postgres
from tests.helpers.portal import PortalStack, request_body
from tests.helpers.servers import free_port

__all__ = ["own_postgres"]  # the fixture, used by name

WITHIN_SECONDS = 10.0


def postgres_processes(uri: str) -> list[psutil.Process]:
    """The postmaster of the embedded server at uri (its socket folder is its data folder)
    and all its backends and helpers."""
    socket_dir = parse_qs(urlsplit(uri).query)["host"][0]
    pid = postmaster_pid(Path(socket_dir))
    assert pid is not None, f"no postmaster.pid in {socket_dir}"
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


@contextmanager
def stopped(processes: list[psutil.Process]) -> Iterator[None]:
    """SIGSTOP each process (a frozen database host); always SIGCONT after."""
    for proc in processes:
        os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for proc in processes:
            try:
                os.kill(proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


async def test_a_stopped_postgres_gives_503_with_retry_after_within_10_s(
    stack: PortalStack, own_postgres: tuple[str, object]
) -> None:
    url, _server = own_postgres
    pool = await create_pool(url, min_size=1, max_size=3)
    await migrate(pool)
    merchant = await stack.add_merchant()
    await MerchantDirectory(pool).upsert(merchant)
    key = {
        "Authorization": f"Bearer {(await ApiKeyStore(pool).create(merchant.merchant_id, 't')).key}"
    }
    # A key verified seconds ago is served from the portal's key cache (portal/api/auth.py);
    # one never seen before needs PostgreSQL, so it meets the outage.
    unseen = {
        "Authorization": f"Bearer {(await ApiKeyStore(pool).create(merchant.merchant_id, 'u')).key}"
    }
    case_id = await stack.start(merchant)
    token = stack.link_for(case_id, merchant.merchant_id, await stack.state(case_id)).rsplit("/")[
        -1
    ]
    port = free_port()
    app = create_app(stack.client, pool, stack.settings.portal, stack.settings.temporal.task_queue)
    serving = asyncio.create_task(serve_portal(app, "127.0.0.1", port))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:

            async def listing(headers: dict[str, str] = key) -> httpx.Response:
                return await http.get("/api/v1/merchant/cases", headers=headers)

            async def up() -> bool:
                try:
                    return (await listing()).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, what="the portal on its own database")

            async def timed(send: asyncio.Future[httpx.Response]) -> tuple[httpx.Response, float]:
                started = time.perf_counter()
                response = await send
                return response, time.perf_counter() - started

            with stopped(postgres_processes(url)):
                requests = (
                    [
                        http.post(
                            "/api/v1/cases",
                            json=request_body(f"c-{uuid.uuid4().hex[:12]}", merchant.merchant_id),
                            headers=stack.internal_headers,
                        )
                        for _ in range(4)
                    ]
                    + [listing(unseen) for _ in range(4)]
                    + [http.get(f"/r/{token}") for _ in range(2)]
                )
                # Bounded here too, so that a portal that hangs fails this test, not stalls it.
                async with asyncio.timeout(3 * WITHIN_SECONDS):
                    answered = await asyncio.gather(*(timed(r) for r in requests))  # type: ignore[arg-type]
            for response, seconds in answered:
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "5"
                assert seconds < WITHIN_SECONDS, (response.request.url, seconds)

            # Continued, the same pool serves again (its hung connections were replaced).
            await eventually(up, within=30, what="the portal to serve again after SIGCONT")
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        pool.terminate()


async def test_every_wait_on_a_stopped_postgres_is_bounded(
    own_postgres: tuple[str, object],
) -> None:
    """What the activities, the gateway and the CLI use: the same pool, each wait bounded,
    for a pooled connection (the statement's timeout) and a new one (the connect timeout)."""
    url, _server = own_postgres
    warm = await create_pool(url, min_size=1, max_size=1)
    await warm.fetchval("SELECT 1")
    try:
        with stopped(postgres_processes(url)):
            for attempt in ("pooled connection", "new pool"):
                started = time.perf_counter()
                try:
                    # The outer bound only keeps a hanging pool from stalling the suite.
                    async with asyncio.timeout(3 * WITHIN_SECONDS):
                        if attempt == "pooled connection":
                            await warm.fetchval("SELECT 1")
                        else:
                            cold = await create_pool(url, min_size=1, max_size=1)
                            cold.terminate()
                except TimeoutError:
                    pass
                else:
                    raise AssertionError(f"{attempt}: answered although PostgreSQL is stopped")
                assert time.perf_counter() - started < WITHIN_SECONDS, attempt
    finally:
        warm.terminate()


async def test_the_cli_says_it_cannot_reach_a_stopped_postgres_within_10_s(
    own_postgres: tuple[str, object],
) -> None:
    url, _server = own_postgres
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith(("CANCELFLOW_", "TEMPORAL_"))}
        | OPERATOR_ENV
        | {"DATABASE_URL": url}
    )
    with stopped(postgres_processes(url)):
        started = time.perf_counter()
        cli = await asyncio.create_subprocess_exec(
            CANCELFLOW, "merchants", "list", env=env, stderr=asyncio.subprocess.PIPE
        )
        async with asyncio.timeout(3 * WITHIN_SECONDS):
            _, stderr = await cli.communicate()
        seconds = time.perf_counter() - started
    assert cli.returncode == 1, stderr
    assert stderr.decode().startswith("error: cannot connect to PostgreSQL: PostgreSQL did not"), (
        stderr
    )
    assert seconds < WITHIN_SECONDS
