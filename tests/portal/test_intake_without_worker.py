"""The intake API takes a case while no worker polls (one killed, a deploy): 201 at once, not
a call that waits for a worker to answer the state query (found by the fault suite's
"worker killed, portal up" row, #16)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from portal.app import create_app, serve_portal
from tests.eventually import eventually
from tests.helpers.portal import PortalStack, request_body
from tests.helpers.servers import free_port


async def test_a_case_is_taken_while_no_worker_polls(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    port = free_port()
    # A task queue no worker polls: the stack's own worker never sees these cases.
    idle_queue = f"no-worker-{uuid.uuid4().hex[:8]}"
    app = create_app(stack.client, stack.pool, stack.settings.portal, idle_queue)
    serving = asyncio.create_task(serve_portal(app, "127.0.0.1", port))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:

            async def up() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, what="the portal without a worker")
            case_id = f"c-{uuid.uuid4().hex[:12]}"
            started = time.perf_counter()
            response = await http.post(
                "/api/v1/cases",
                json=request_body(case_id, merchant.merchant_id),
                headers=stack.internal_headers,
            )
            seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            assert response.json()["case_id"] == case_id
            assert seconds < 10, seconds
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
