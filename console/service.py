"""Running the console inside a process (`cancelflow ops-console`, `cancelflow dev`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from temporalio.client import Client

from console.app import create_app
from console.config import ConsoleSettings
from portal.app import serve_portal as serve_app  # uvicorn under the process's own signals

START_TIMEOUT_SECONDS = 15.0


@contextlib.asynccontextmanager
async def running_console(
    settings: ConsoleSettings,
    client: Client,
    pool: asyncpg.Pool,
    webhook_secrets_key: str,
    *,
    task_queue: str,
    dev_sign_in: bool = False,
) -> AsyncIterator[str]:
    """The console served on settings.host:port until the block ends; yields its base URL.
    task_queue: the worker's, where an erasure's workflow runs."""
    app = create_app(
        client,
        pool,
        settings,
        webhook_secrets_key,
        dev_sign_in=dev_sign_in,
        task_queue=task_queue,
    )
    serving = asyncio.create_task(serve_app(app, settings.host, settings.port))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_SECONDS
        while True:
            if serving.done():
                try:
                    serving.result()
                except OSError:
                    pass  # its words name the portal, whose server this shares
                raise OSError(
                    f"the ops console could not listen on {settings.host}:{settings.port}"
                )
            try:
                _, writer = await asyncio.open_connection(settings.host, settings.port)
            except OSError:
                if loop.time() > deadline:
                    raise OSError(
                        f"the ops console did not listen on {settings.host}:{settings.port}"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        yield settings.base_url
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
