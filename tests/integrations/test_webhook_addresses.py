"""Webhook endpoints that point, one way or another, at an IPv4 address of our own network:
refused when registered (the rule, the CLI) and again just before each POST (#16.2)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest
from click.testing import CliRunner

from domain.merchant import Merchant
from domain.webhooks import InvalidEndpointUrl, is_public_address, validate_endpoint_url
from integrations.config import WebhookSettings
from integrations.webhooks import WebhookSender
from storage.webhooks import new_secret
from tests.helpers.operator_env import OPERATOR_ENV
from tests.integrations.receiver import HttpsReceiver
from workers.cli import cli

# IPv6 literals that carry a non-public IPv4 address, and IPv4 written as one number or in
# octal or hex: every one ends at this machine, the metadata service or a private network.
EMBEDDING_IPV4 = [
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254, the cloud metadata
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 prefix (RFC 8215)
    "https://[::127.0.0.1]/hook",  # IPv4-compatible
    "https://[::a00:1]/hook",  # IPv4-compatible 10.0.0.1
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
    "https://[::ffff:0:a00:1]/hook",  # IPv4-translated
    "https://[2002:a9fe:a9fe::]/hook",  # 6to4 of 169.254.169.254
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
]
NUMERIC_IPV4 = [
    "https://2130706433/hook",  # 127.0.0.1 as one decimal number
    "https://0x7f000001/hook",  # hex
    "https://0177.0.0.1/hook",  # octal first part
    "https://127.1/hook",  # short form
    "https://0x7f.0.0.1/hook",
    "https://017700000001/hook",  # octal
    "https://169.254.43518/hook",  # the metadata address, last two parts as one
    "https://2130706433./hook",  # with the root's dot
]
REFUSED = EMBEDDING_IPV4 + NUMERIC_IPV4
# Public addresses carried the same ways stay allowed (a NAT64 network's DNS64 answers).
STILL_PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "2001:4860:4860::8888", "8.8.8.8"]


@pytest.mark.parametrize("url", REFUSED)
def test_each_form_is_refused_at_registration(url: str) -> None:
    with pytest.raises(InvalidEndpointUrl, match=r"^url: (must name a public host|the host)"):
        validate_endpoint_url(url)


def test_public_addresses_in_the_same_forms_are_still_public() -> None:
    assert all(is_public_address(address) for address in STILL_PUBLIC)
    assert validate_endpoint_url("https://[64:ff9b::808:808]/hook")
    assert validate_endpoint_url("https://8.8.8.8/hook")


@pytest.mark.parametrize("url", REFUSED)
async def test_each_form_is_refused_before_the_post(url: str, receiver: HttpsReceiver) -> None:
    # Production settings: no localhost allowance. An endpoint stored before the rule (or
    # written into the database by hand) reaches the sender; it must not connect.
    settings = WebhookSettings(ca_file=str(receiver.ca_file))
    port_url = url.replace("/hook", f":{urlsplit(receiver.url).port}/hook")
    result = await WebhookSender(settings).post(port_url, new_secret(), "evt_x", b"{}")
    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith(("must name a public host", "the host")), result.error
    assert receiver.received == []


async def test_the_cli_refuses_each_form(
    database_url: str, pool: asyncpg.Pool, merchant_in_directory: Merchant
) -> None:
    env = {"DATABASE_URL": database_url, **OPERATOR_ENV}
    for url in REFUSED:
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["merchants", "webhook", "add", "hooked", url],
            env=env,
            catch_exceptions=False,
        )
        assert result.exit_code == 1, (url, result.output)
        assert "url: must name a public host" in result.output or "url: the host" in result.output
    assert await pool.fetchval("SELECT count(*) FROM merchant_webhook_endpoints") == 0


def test_invisible_or_text_direction_characters_are_refused_in_a_url() -> None:
    for url in ("https://hooks.example/\u202egpj", "https://ho\u200boks.example/x"):
        with pytest.raises(InvalidEndpointUrl, match="invisible or text-direction"):
            validate_endpoint_url(url)
