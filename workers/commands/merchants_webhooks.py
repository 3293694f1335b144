"""`cancelflow merchants webhook ...`: merchants' webhook endpoints (secrets shown once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from domain.webhooks import ALL_EVENT_TYPES
from workers.commands.common import CliError, database, echo_json, load_settings, ops_user, run

if TYPE_CHECKING:
    from integrations.webhooks import PostResult
    from storage.webhooks import NewEndpoint, WebhookEndpoint
    from workers.settings import Settings


@click.group("webhook")
def webhook() -> None:
    """Add, list, remove and test merchants' webhook endpoints."""


@webhook.command("add")
@click.argument("merchant_id")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(ALL_EVENT_TYPES),
    help="An event type to send (repeatable; default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def add(merchant_id: str, url: str, events: tuple[str, ...], as_json: bool) -> None:
    """Register URL (https) for MERCHANT_ID. The signing secret is printed once."""
    from domain.webhooks import InvalidEndpointUrl, parse_event_types, validate_endpoint_url

    settings = load_settings()
    try:
        url = validate_endpoint_url(url, settings.webhooks.allow_insecure_localhost)
    except InvalidEndpointUrl as err:
        raise CliError(str(err)) from err
    created = run(_add(settings, merchant_id, url, parse_event_types(list(events))))
    if as_json:
        echo_json({**_as_dict(created.endpoint), "secret": created.secret})
        return
    click.echo(f"Webhook endpoint {created.endpoint.endpoint_id} for merchant {merchant_id}:")
    click.echo(f"  {created.endpoint.url}")
    click.echo(f"  events: {', '.join(created.endpoint.events)}")
    click.echo(f"  signing secret: {created.secret}")
    click.echo("Store the secret now: it cannot be shown again.")


async def _add(settings: Settings, merchant_id: str, url: str, events: list[str]) -> NewEndpoint:
    from storage.merchant_changes import MerchantChanges
    from storage.webhooks import UnknownMerchantForWebhook
    from workers.wiring import webhook_endpoints

    async with database(settings) as pool:
        try:
            created = await webhook_endpoints(settings, pool).add(
                merchant_id, url, events, created_by=ops_user()
            )
        except UnknownMerchantForWebhook as err:
            raise CliError(
                str(err), "add the merchant first with `cancelflow merchants add FILE`"
            ) from err
        await MerchantChanges(pool).record(
            merchant_id,
            ops_user(),
            "webhook.added",
            {"endpoint_id": created.endpoint.endpoint_id, "url": url, "events": events},
        )
        return created


@webhook.command("list")
@click.argument("merchant_id", required=False)
@click.option("--all", "include_removed", is_flag=True, help="Include removed endpoints.")
@click.option("--json", "as_json", is_flag=True, help="Print the endpoints as JSON.")
def list_(merchant_id: str | None, include_removed: bool, as_json: bool) -> None:
    """List webhook endpoints (never their secrets), of one merchant or of all."""
    found = run(_list(load_settings(), merchant_id, include_removed))
    if as_json:
        echo_json([_as_dict(e) for e in found])
        return
    if not found:
        click.echo(
            "no webhook endpoints (add one with `cancelflow merchants webhook add MERCHANT_ID URL`)"
        )
        return
    for e in found:
        state = f"removed {e.disabled_at:%Y-%m-%d %H:%M}" if e.disabled_at else "active"
        click.echo(f"{e.endpoint_id}  {e.merchant_id:<20} {state:<24} {e.url}")
        click.echo(f"{'':17}events: {', '.join(e.events)}")


async def _list(
    settings: Settings, merchant_id: str | None, include_removed: bool
) -> list[WebhookEndpoint]:
    from workers.wiring import webhook_endpoints

    async with database(settings) as pool:
        return await webhook_endpoints(settings, pool).list(merchant_id, include_removed)


@webhook.command("remove")
@click.argument("endpoint_id")
def remove(endpoint_id: str) -> None:
    """Stop sending to ENDPOINT_ID (see `webhook list`); its delivery record is kept."""
    removed = run(_remove(load_settings(), endpoint_id))
    if removed is None:
        raise CliError(
            f"there is no webhook endpoint '{endpoint_id}' "
            "(see `cancelflow merchants webhook list`)"
        )
    click.echo(f"webhook endpoint {endpoint_id} of merchant {removed.merchant_id} is removed")


async def _remove(settings: Settings, endpoint_id: str) -> WebhookEndpoint | None:
    from storage.merchant_changes import MerchantChanges
    from workers.wiring import webhook_endpoints

    async with database(settings) as pool:
        removed = await webhook_endpoints(settings, pool).disable(endpoint_id)
        if removed is not None:
            await MerchantChanges(pool).record(
                removed.merchant_id, ops_user(), "webhook.removed", {"endpoint_id": endpoint_id}
            )
        return removed


@webhook.command("test")
@click.argument("endpoint_id")
def test(endpoint_id: str) -> None:
    """POST a signed `webhook.test` event to ENDPOINT_ID now and print what it answered."""
    result = run(_test(load_settings(), endpoint_id))
    if result.error is not None:
        raise CliError(f"webhook endpoint {endpoint_id}: {result.error}")
    click.echo(f"webhook endpoint {endpoint_id} answered HTTP {result.status_code}")


async def _test(settings: Settings, endpoint_id: str) -> PostResult:
    from integrations.webhooks import post_test_event
    from workers.wiring import webhook_endpoints

    async with database(settings) as pool:
        endpoints = webhook_endpoints(settings, pool)
        endpoint = await endpoints.get(endpoint_id)
        if endpoint is None or endpoint.disabled_at is not None:
            raise CliError(
                f"there is no active webhook endpoint '{endpoint_id}' "
                "(see `cancelflow merchants webhook list`)"
            )
        live = {e.endpoint.endpoint_id: e for e in await endpoints.live_for(endpoint.merchant_id)}
        return await post_test_event(settings.webhooks, endpoint.url, live[endpoint_id].secret)


def _as_dict(e: WebhookEndpoint) -> dict[str, object]:
    return {
        "endpoint_id": e.endpoint_id,
        "merchant_id": e.merchant_id,
        "url": e.url,
        "events": e.events,
        "created_by": e.created_by,
        "created_at": e.created_at.isoformat(),
        "removed_at": e.disabled_at.isoformat() if e.disabled_at else None,
    }
