"""A webhook host that does not resolve is a failed attempt with a clear reason, and the
merchant's other endpoints are still tried (#16.3)."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.webhooks import WebhookActivities
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from integrations.config import WebhookSettings
from integrations.webhooks import WebhookSender
from storage.webhooks import WebhookDeliveries, WebhookEndpoints
from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.webhooks import PORTAL_BASE_URL, SECRETS_KEY, requested_event
from tests.integrations.receiver import HttpsReceiver
from workers.cli import cli

# The .invalid top-level domain never resolves (RFC 6761).
NOWHERE = "https://hooks.nowhere.invalid/hook"
NOT_RESOLVING = "the endpoint's host hooks.nowhere.invalid does not resolve"


async def test_an_unresolvable_host_is_a_failed_attempt_and_later_endpoints_are_tried(
    pool: asyncpg.Pool,
    endpoints: WebhookEndpoints,
    merchant_in_directory: Merchant,
    receiver: HttpsReceiver,
    signer: ReplyTokenSigner,
) -> None:
    # Production settings: the public-only connection path, where the resolver's error
    # used to escape.
    settings = WebhookSettings(secrets_key=SecretStr(SECRETS_KEY), ca_file=str(receiver.ca_file))
    activities = WebhookActivities(
        endpoints, WebhookDeliveries(pool), WebhookSender(settings), signer, PORTAL_BASE_URL
    )
    first = await endpoints.add("hooked", NOWHERE, ["cancellation.requested"], "t")
    second = await endpoints.add("hooked", receiver.url, ["cancellation.requested"], "t")
    delivery = contracts.WebhookDeliveryInput(merchant_id="hooked", event=requested_event())

    with pytest.raises(ApplicationError, match="2 of 2 endpoint") as failed:
        await ActivityEnvironment().run(activities.deliver_webhook, delivery)

    assert NOT_RESOLVING in str(failed.value)
    attempts = await WebhookDeliveries(pool).attempts(delivery.event.id)
    by_endpoint = {row["endpoint_id"]: row for row in attempts}
    assert set(by_endpoint) == {first.endpoint.endpoint_id, second.endpoint.endpoint_id}
    assert NOT_RESOLVING in by_endpoint[first.endpoint.endpoint_id]["last_error"]
    # The second endpoint was tried (and refused: 127.0.0.1 is not public in production).
    assert "public host" in by_endpoint[second.endpoint.endpoint_id]["last_error"]


async def test_webhook_test_prints_a_clear_line_for_an_unresolvable_host(
    database_url: str, merchant_in_directory: Merchant
) -> None:
    async def cancelflow(*args: str) -> Result:
        return await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            list(args),
            env={"DATABASE_URL": database_url, **OPERATOR_ENV},
            catch_exceptions=False,
        )

    added = await cancelflow("merchants", "webhook", "add", "hooked", NOWHERE)
    assert added.exit_code == 0, added.output
    endpoint = re.search(r"we_[a-f0-9]{12}", added.output)
    assert endpoint is not None
    result = await cancelflow("merchants", "webhook", "test", endpoint.group(0))
    assert result.exit_code == 1
    assert result.output.strip().startswith(
        f"error: webhook endpoint {endpoint.group(0)}: {NOT_RESOLVING} ("
    ), result.output
    assert "unexpected" not in result.output
