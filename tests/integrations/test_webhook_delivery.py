"""The deliver_webhook activity against a real HTTPS receiver and a real database."""

from __future__ import annotations

import ipaddress
import json
import socket

import asyncpg
import pytest
from standardwebhooks.webhooks import Webhook
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.webhooks import WebhookActivities
from domain.merchant import Merchant
from domain.webhooks import (
    InvalidEndpointUrl,
    validate_endpoint_url,
)
from integrations import signing, webhooks
from integrations.config import WebhookSettings
from integrations.webhooks import WebhookSender
from storage.webhooks import WebhookEndpoints, new_secret
from tests.helpers.webhooks import requested_event
from tests.integrations.receiver import HttpsReceiver


async def test_an_endpoint_secret_is_shown_once_and_stored_encrypted(
    pool: asyncpg.Pool, endpoints: WebhookEndpoints, merchant_in_directory: Merchant
) -> None:
    created = await endpoints.add(
        "hooked", "https://hooks.example/x", ["cancellation.requested"], "ops:t"
    )
    assert created.secret.startswith("whsec_")
    listed = await endpoints.list("hooked")
    assert [e.endpoint_id for e in listed] == [created.endpoint.endpoint_id]
    assert created.secret not in repr(listed)
    stored = await pool.fetchval("SELECT secret_encrypted FROM merchant_webhook_endpoints")
    assert created.secret.encode() not in bytes(stored)
    assert created.secret.removeprefix("whsec_").encode() not in bytes(stored)
    live = await endpoints.live_for("hooked", "cancellation.requested")
    assert [e.secret for e in live] == [created.secret]
    assert await endpoints.live_for("hooked", "cancellation.reminder") == []


def test_endpoint_urls_must_be_https_except_localhost_when_allowed() -> None:
    assert validate_endpoint_url("https://hooks.example/x") == "https://hooks.example/x"
    with pytest.raises(InvalidEndpointUrl, match="url: must use https://"):
        validate_endpoint_url("http://hooks.example/x", allow_insecure_localhost=True)
    with pytest.raises(InvalidEndpointUrl, match="url: must use https://"):
        validate_endpoint_url("http://127.0.0.1:9/x")
    assert validate_endpoint_url("http://127.0.0.1:9/x", allow_insecure_localhost=True)
    with pytest.raises(InvalidEndpointUrl, match="url: must not contain spaces"):
        validate_endpoint_url("https://hooks.example/\x1b[31m")
    with pytest.raises(InvalidEndpointUrl, match="not an absolute https"):
        validate_endpoint_url("ftp://hooks.example/x")
    for private in ("https://10.1.2.3/x", "https://169.254.169.254/", "https://[::1]:8/x"):
        with pytest.raises(InvalidEndpointUrl, match="must name a public host"):
            validate_endpoint_url(private)
    with pytest.raises(InvalidEndpointUrl, match="must name a public host"):
        validate_endpoint_url("https://localhost:7233/x")


def loopback_name() -> str:
    """A host name (not `localhost`, which the URL rule refuses by name) that this machine
    resolves to a loopback address, so that the resolution checks themselves are tested."""
    for name in (socket.gethostname(), "localhost.localdomain", "ip6-localhost"):
        try:
            infos = socket.getaddrinfo(name, None)
        except OSError:
            continue
        if infos and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos):
            return name
    pytest.skip("no host name other than localhost resolves to loopback here")


async def test_a_host_that_resolves_to_this_machine_is_not_posted_to(
    receiver: HttpsReceiver,
) -> None:
    settings = WebhookSettings(ca_file=str(receiver.ca_file))
    url = receiver.url.replace("127.0.0.1", loopback_name())
    refused = await WebhookSender(settings).post(url, new_secret(), "evt_x", b"{}")
    assert refused.error == "the endpoint's host resolves to a non-public address"
    assert receiver.received == []


async def test_a_host_that_rebinds_to_this_machine_after_the_check_is_not_posted_to(
    receiver: HttpsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer is public, the one at connection time is ours. The
    # connection itself checks the address it connects to, so the early check is not enough
    # to fool it.
    async def public_at_first(url: str) -> bool:
        return True

    monkeypatch.setattr(webhooks, "_resolves_to_public", public_at_first)
    settings = WebhookSettings(ca_file=str(receiver.ca_file))
    url = receiver.url.replace("127.0.0.1", loopback_name())
    refused = await WebhookSender(settings).post(url, new_secret(), "evt_x", b"{}")
    assert refused.error is not None and "non-public address" in refused.error
    assert receiver.received == []


async def test_an_event_is_signed_retried_after_failures_and_delivered_once(
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
    merchant_in_directory: Merchant,
    webhook_activities: WebhookActivities,
) -> None:
    created = await endpoints.add("hooked", receiver.url, ["cancellation.requested"], "ops:t")
    receiver.fail_next(3)
    env = ActivityEnvironment()
    delivery = contracts.WebhookDeliveryInput(merchant_id="hooked", event=requested_event())
    for _ in range(3):
        with pytest.raises(ApplicationError, match="endpoint answered HTTP 503"):
            await env.run(webhook_activities.deliver_webhook, delivery)
    done = await env.run(webhook_activities.deliver_webhook, delivery)
    assert done.delivered_to == [created.endpoint.endpoint_id]
    again = await env.run(webhook_activities.deliver_webhook, delivery)
    assert again.delivered_to == [] and again.already_delivered == [created.endpoint.endpoint_id]

    got = receiver.received
    assert [r.answered for r in got] == [503, 503, 503, 204]
    # Every attempt carries the same event id and body: the merchant can deduplicate.
    assert {r.headers["webhook-id"] for r in got} == {"evt_hook-1_requested_1_1"}
    assert len({r.body for r in got}) == 1
    last = got[-1]
    # Verified by the reference implementation of Standard Webhooks, not by our own code.
    payload = Webhook(created.secret).verify(last.body, last.headers)
    assert payload["type"] == "cancellation.requested"
    assert payload["data"]["identifiers"] == [{"name": "last_name", "value": "Lindqvist"}]
    assert payload["data"]["reply_url"].startswith("https://portal.cancelflow.test/r/")
    assert signing.verify(
        created.secret, last.headers, last.body, now=int(last.headers["webhook-timestamp"])
    )
    assert not signing.verify(
        created.secret, last.headers, last.body + b" ", now=int(last.headers["webhook-timestamp"])
    )
    assert not signing.verify(
        "whsec_" + "A" * 32, last.headers, last.body, now=int(last.headers["webhook-timestamp"])
    )


async def test_a_retry_posts_only_to_the_endpoints_still_owed_the_event(
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
    merchant_in_directory: Merchant,
    webhook_activities: WebhookActivities,
) -> None:
    good = await endpoints.add("hooked", receiver.url + "?good", ["cancellation.requested"], "t")
    await endpoints.add("hooked", "https://127.0.0.1:9/closed", ["cancellation.requested"], "t")
    env = ActivityEnvironment()
    delivery = contracts.WebhookDeliveryInput(merchant_id="hooked", event=requested_event())
    for _ in range(2):
        with pytest.raises(ApplicationError, match="1 of 2 endpoint"):
            await env.run(webhook_activities.deliver_webhook, delivery)
    assert [r.path for r in receiver.received] == ["/hook?good"]
    assert good.endpoint.endpoint_id


async def test_a_webhook_only_merchant_without_endpoint_keeps_the_event_for_later(
    receiver: HttpsReceiver,
    endpoints: WebhookEndpoints,
    merchant_in_directory: Merchant,
    webhook_activities: WebhookActivities,
) -> None:
    env = ActivityEnvironment()
    optional = contracts.WebhookDeliveryInput(merchant_id="hooked", event=requested_event())
    assert (await env.run(webhook_activities.deliver_webhook, optional)).delivered_to == []
    required = optional.model_copy(update={"required": True})
    with pytest.raises(ApplicationError, match="has no live endpoint"):
        await env.run(webhook_activities.deliver_webhook, required)
    await endpoints.add("hooked", receiver.url, ["cancellation.requested"], "t")
    assert len((await env.run(webhook_activities.deliver_webhook, required)).delivered_to) == 1
    assert json.loads(receiver.received[0].body)["id"] == "evt_hook-1_requested_1_1"
