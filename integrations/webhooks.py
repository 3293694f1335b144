"""Sends one signed webhook POST. No retries here: the activity's retry policy does that.

Logs carry event and endpoint ids and the status code: never the body (it holds customer
identifiers) nor the secret.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpcore
import httpx

from domain.webhooks import TestEvent, is_public_address
from integrations.config import WebhookSettings
from integrations.signing import signature_headers

USER_AGENT = "cancelflow-webhooks/1"


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    error: str | None
    """None when the endpoint answered 2xx."""


class WebhookSender:
    def __init__(self, settings: WebhookSettings) -> None:
        self._timeout = settings.timeout_seconds
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = ssl.create_default_context(cafile=settings.ca_file)
        self._verify = verify
        # Endpoints are merchant input: never let them point the worker at our own network.
        self._allow_local = settings.allow_insecure_localhost

    async def post(self, url: str, secret: str, message_id: str, body: bytes) -> PostResult:
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signature_headers(secret, message_id, int(time.time()), body),
        }
        if not self._allow_local and not await _resolves_to_public(url):
            return PostResult(None, "the endpoint's host resolves to a non-public address")
        transport = None if self._allow_local else _public_only_transport(self._verify)
        try:
            # follow_redirects stays off: a redirect could carry the signed body elsewhere.
            async with httpx.AsyncClient(
                timeout=self._timeout, verify=self._verify, transport=transport
            ) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as err:
            return PostResult(None, f"{type(err).__name__}: {err}"[:300])
        if 200 <= response.status_code < 300:
            return PostResult(response.status_code, None)
        return PostResult(response.status_code, f"endpoint answered HTTP {response.status_code}")


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Connects only to the public address it checked itself: a host whose DNS answer changes
    between a check and the connection (DNS rebinding) cannot reach our own network."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        if not addresses or not all(is_public_address(address) for address in addresses):
            raise httpcore.ConnectError("the endpoint's host resolves to a non-public address")
        # TLS still verifies the certificate against the URL's host name (httpcore's SNI).
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks go to HTTPS endpoints, not local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _public_only_transport(verify: ssl.SSLContext | bool) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    # httpx offers no public way to choose the network backend of its connection pool.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=transport._pool._ssl_context,
        network_backend=PublicOnlyBackend(),
    )
    return transport


async def _resolves_to_public(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return True  # let the POST fail with the resolver's own error
    return all(is_public_address(str(info[4][0])) for info in infos)


async def post_test_event(settings: WebhookSettings, url: str, secret: str) -> PostResult:
    """`webhook test` (CLI and portal): a signed event that names no case."""
    event = TestEvent(
        id=f"evt_test_{secrets.token_hex(8)}",
        timestamp=datetime.now(UTC),
        data={"message": "a test event from cancelflow"},
    )
    return await WebhookSender(settings).post(
        url, secret, event.id, event.model_dump_json().encode()
    )
