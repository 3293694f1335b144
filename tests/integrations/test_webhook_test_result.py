""" "Send test event" reports the test's own result (issue 18 #2): a host that does not resolve,
refuses, or never answers is said so, also where the sender checks each address itself
(production settings), where a resolver failure used to escape as a portal outage."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from integrations.config import WebhookSettings
from integrations.webhooks import PostResult
from portal.merchant_settings.i18n import SettingsTranslator
from portal.merchant_settings.webhook_test import describe, send_test_event

EN, SV = SettingsTranslator("en"), SettingsTranslator("sv")
SECRET = "whsec_" + base64.b64encode(b"s" * 24).decode()


def production(timeout: float = 10.0) -> WebhookSettings:
    return WebhookSettings(secrets_key=SecretStr("k" * 32), timeout_seconds=timeout)


@pytest.fixture
async def silent_listener() -> AsyncIterator[int]:
    """Accepts connections and never says a word (not even the TLS handshake)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_a_host_that_does_not_resolve_is_named_in_both_languages() -> None:
    for settings in (
        production(),
        production().model_copy(update={"allow_insecure_localhost": True}),
    ):
        outcome = await send_test_event(settings, "https://nowhere.invalid/hook", SECRET, EN)
        assert not outcome.ok
        assert outcome.message == (
            "The test event was not sent: the host name nowhere.invalid could not be found "
            "(DNS). Check the address."
        )
    swedish = await send_test_event(production(), "https://nowhere.invalid/hook", SECRET, SV)
    assert "värdnamnet nowhere.invalid hittades inte" in swedish.message


async def test_a_refused_connection_and_a_silent_host_are_told_apart(silent_listener: int) -> None:
    local = production(timeout=0.5).model_copy(update={"allow_insecure_localhost": True})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = await send_test_event(local, f"https://127.0.0.1:{closed}/hook", SECRET, EN)
    assert "127.0.0.1 refused the connection" in refused.message
    silent = await send_test_event(local, f"https://127.0.0.1:{silent_listener}/hook", SECRET, EN)
    assert "127.0.0.1 did not answer within the time limit" in silent.message


def test_an_http_status_is_the_endpoints_own_answer() -> None:
    assert describe(PostResult(204, None), "h", EN).message == "The endpoint answered HTTP 204."
    refused = describe(PostResult(503, "endpoint answered HTTP 503"), "h", EN)
    assert not refused.ok and "Your endpoint answered HTTP 503" in refused.message
    private = describe(
        PostResult(None, "the endpoint's host resolves to a non-public address"), "h", SV
    )
    assert "inte finns på det publika internet" in private.message
    # The sender's own wording for a host that does not resolve (a recorded failed attempt).
    unresolved = PostResult(
        None, "the endpoint's host x.invalid does not resolve (Name or service not known)"
    )
    assert "could not be found (DNS)" in describe(unresolved, "x.invalid", EN).message
