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

from domain.webhooks import (
    InvalidEndpointUrl,
    TestEvent,
    is_public_address,
    validate_endpoint_url,
)
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
        # The registration rules again: an endpoint stored before a rule was added, or
        # edited in the database, is refused here before anything is sent.
        try:
            validate_endpoint_url(url, allow_insecure_localhost=self._allow_local)
        except InvalidEndpointUrl as err:
            return PostResult(None, str(err).removeprefix("url: "))
        try:
            async with asyncio.timeout(self._timeout):  # a resolver that hangs is bounded too
                unresolved = await _resolution_problem(url)
        except TimeoutError:
            unresolved = f"the endpoint's host did not resolve within {self._timeout:g} s"
        if unresolved is not None:
            return PostResult(None, unresolved)
        if not self._allow_local and not await _resolves_to_public(url):
            return PostResult(None, "the endpoint's host resolves to a non-public address")
        transport = None if self._allow_local else _public_only_transport(self._verify)
        try:
            # follow_redirects stays off: a redirect could carry the signed body elsewhere.
            async with httpx.AsyncClient(
                timeout=self._timeout, verify=self._verify, transport=transport
            ) as client:
                response = await client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, OSError) as err:
            # OSError: a resolver or socket error raised outside httpx's own mapping.
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
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as err:
            raise httpcore.ConnectError(_unresolved(host, err)) from err
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


def _unresolved(host: str, err: OSError) -> str:
    reason = getattr(err, "strerror", None) or type(err).__name__
    return f"the endpoint's host {host[:100]} does not resolve ({reason})"


async def _resolution_problem(url: str) -> str | None:
    """Why the URL's host does not resolve, or None: a clear failed attempt, not a crash."""
    host = urlsplit(url).hostname or ""
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as err:
        return _unresolved(host, err)
    return None


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
