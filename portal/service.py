"""Running the portal inside a larger process (`cancelflow dev`), and the demo merchant's key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from temporalio.client import Client

from portal.app import SUPPORT_ADDRESS, create_app, serve_portal
from portal.config import PortalSettings
from portal.merchant_settings.deps import MerchantSettingsConfig
from storage.api_keys import ApiKeyStore

_START_TIMEOUT_SECONDS = 15.0


@contextlib.asynccontextmanager
async def running_portal(
    settings: PortalSettings,
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    support_address: str = SUPPORT_ADDRESS,
    merchant_settings: MerchantSettingsConfig | None = None,
) -> AsyncIterator[str]:
    """The portal served on settings.host:port until the block ends; yields its base URL."""
    app = create_app(
        client,
        pool,
        settings,
        task_queue,
        support_address=support_address,
        merchant_settings=merchant_settings,
    )
    serving = asyncio.create_task(serve_portal(app, settings.host, settings.port))
    try:
        await _until_listening(serving, settings.host, settings.port)
        yield settings.base_url
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving


async def _until_listening(serving: asyncio.Task[None], host: str, port: int) -> None:
    deadline = asyncio.get_running_loop().time() + _START_TIMEOUT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if serving.done():
            serving.result()  # raises why it could not start
            raise OSError(f"the portal stopped right after starting on {host}:{port}")
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise OSError(f"the portal did not listen on {host}:{port} within {_START_TIMEOUT_SECONDS} s")


async def ensure_demo_api_key(pool: asyncpg.Pool, merchant_id: str) -> str | None:
    """A new API key for the demo merchant when it has none; None when one exists already.

    The key is only ever shown when it is created (only its hash is stored).
    """
    store = ApiKeyStore(pool)
    if any(k.revoked_at is None for k in await store.list(merchant_id)):
        return None
    created = await store.create(merchant_id, label="demo")
    return created.key
