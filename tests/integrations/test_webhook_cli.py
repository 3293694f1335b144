"""`cancelflow merchants webhook add|list|remove|test` against the real database and receiver."""

from __future__ import annotations

import asyncio
import re

import asyncpg
from click.testing import CliRunner, Result
from standardwebhooks.webhooks import Webhook

from domain.merchant import Merchant
from storage.merchant_changes import MerchantChanges
from tests.helpers.operator_env import OPERATOR_ENV
from tests.integrations.receiver import HttpsReceiver
from workers.cli import cli


async def cancelflow(database_url: str, receiver: HttpsReceiver, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "CANCELFLOW_WEBHOOKS__CA_FILE": str(receiver.ca_file),
        "CANCELFLOW_WEBHOOKS__ALLOW_INSECURE_LOCALHOST": "true",
        **OPERATOR_ENV,
    }
    # The command runs its own event loop; give it a thread of its own.
    return await asyncio.to_thread(
        CliRunner().invoke, cli, list(args), env=env, catch_exceptions=False
    )


async def test_add_list_test_and_remove_an_endpoint(
    database_url: str,
    pool: asyncpg.Pool,
    receiver: HttpsReceiver,
    merchant_in_directory: Merchant,
) -> None:
    added = await cancelflow(
        database_url,
        receiver,
        "merchants",
        "webhook",
        "add",
        "hooked",
        receiver.url,
        "--event",
        "cancellation.requested",
    )
    assert added.exit_code == 0, added.output
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", added.output)
    endpoint = re.search(r"we_[a-f0-9]{12}", added.output)
    assert secret and endpoint and "cannot be shown again" in added.output

    listed = await cancelflow(database_url, receiver, "merchants", "webhook", "list", "hooked")
    assert endpoint.group(0) in listed.output and receiver.url in listed.output
    assert secret.group(0) not in listed.output and "active" in listed.output

    tested = await cancelflow(
        database_url, receiver, "merchants", "webhook", "test", endpoint.group(0)
    )
    assert tested.exit_code == 0 and "answered HTTP 204" in tested.output
    got = receiver.received[-1]
    assert Webhook(secret.group(0)).verify(got.body, got.headers)["type"] == "webhook.test"

    receiver.fail_next(1)
    failing = await cancelflow(
        database_url, receiver, "merchants", "webhook", "test", endpoint.group(0)
    )
    assert failing.exit_code == 1 and "endpoint answered HTTP 503" in failing.output

    removed = await cancelflow(
        database_url, receiver, "merchants", "webhook", "remove", endpoint.group(0)
    )
    assert removed.exit_code == 0 and "is removed" in removed.output
    after = await cancelflow(database_url, receiver, "merchants", "webhook", "list", "hooked")
    assert endpoint.group(0) not in after.output
    whats = [c.what for c in await MerchantChanges(pool).list("hooked")]
    assert whats == ["webhook.removed", "webhook.added"]


async def test_bad_urls_unknown_merchants_and_endpoints_are_refused(
    database_url: str,
    pool: asyncpg.Pool,
    receiver: HttpsReceiver,
    merchant_in_directory: Merchant,
) -> None:
    plain = await cancelflow(
        database_url, receiver, "merchants", "webhook", "add", "hooked", "http://hooks.example/x"
    )
    assert plain.exit_code == 1 and "url: must use https://" in plain.output
    nobody = await cancelflow(
        database_url, receiver, "merchants", "webhook", "add", "nobody", "https://hooks.example/"
    )
    assert nobody.exit_code == 1 and "'nobody' is not in the merchant directory" in nobody.output
    missing = await cancelflow(
        database_url, receiver, "merchants", "webhook", "remove", "we_000000000000"
    )
    assert missing.exit_code == 1 and "there is no webhook endpoint" in missing.output
