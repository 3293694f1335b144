"""`cancelflow merchants key ...`: API keys for merchant integrations (stored hashed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workers.commands.common import CliError, database, echo_json, load_settings, run

if TYPE_CHECKING:
    from storage.api_keys import ApiKeyInfo, NewApiKey
    from workers.settings import Settings


@click.group("key")
def key() -> None:
    """Create, list and revoke merchants' API keys."""


@key.command("create")
@click.argument("merchant_id")
@click.option("--label", default="default", show_default=True, help="What the key is for.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def create(merchant_id: str, label: str, as_json: bool) -> None:
    """Create an API key for MERCHANT_ID. The key is printed once and cannot be shown again."""
    created = run(_create(load_settings(), merchant_id, label))
    if as_json:
        echo_json({**_as_dict(created.info), "key": created.key})
        return
    click.echo(f"API key {created.info.key_id} for merchant {merchant_id} ({label}):")
    click.echo(f"  {created.key}")
    click.echo("Store it now: only its hash is kept, it cannot be shown again.")


async def _create(settings: Settings, merchant_id: str, label: str) -> NewApiKey:
    from storage.api_keys import ApiKeyStore, UnknownMerchantForKey

    async with database(settings) as pool:
        try:
            return await ApiKeyStore(pool).create(merchant_id, label)
        except UnknownMerchantForKey as err:
            raise CliError(
                str(err), "add the merchant first with `cancelflow merchants add FILE`"
            ) from err


@key.command("list")
@click.argument("merchant_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def list_(merchant_id: str | None, as_json: bool) -> None:
    """List API keys (never the secrets), of one merchant or of all."""
    keys = run(_list(load_settings(), merchant_id))
    if as_json:
        echo_json([_as_dict(k) for k in keys])
        return
    if not keys:
        click.echo("no API keys (create one with `cancelflow merchants key create MERCHANT_ID`)")
        return
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        used = f"last used {k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never used"
        click.echo(f"{k.key_id}  {k.merchant_id:<20} {k.label:<16} {state:<24} {used}")


async def _list(settings: Settings, merchant_id: str | None) -> list[ApiKeyInfo]:
    from storage.api_keys import ApiKeyStore

    async with database(settings) as pool:
        return await ApiKeyStore(pool).list(merchant_id)


@key.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke the API key KEY_ID (the part after 'cfk_'); it stops working at once."""
    revoked = run(_revoke(load_settings(), key_id))
    if revoked is None:
        raise CliError(f"there is no API key '{key_id}' (see `cancelflow merchants key list`)")
    click.echo(f"API key {key_id} of merchant {revoked.merchant_id} is revoked")


async def _revoke(settings: Settings, key_id: str) -> ApiKeyInfo | None:
    from storage.api_keys import ApiKeyStore

    async with database(settings) as pool:
        return await ApiKeyStore(pool).revoke(key_id)


def _as_dict(info: ApiKeyInfo) -> dict[str, object]:
    return {
        "key_id": info.key_id,
        "merchant_id": info.merchant_id,
        "label": info.label,
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
        "last_used_at": info.last_used_at.isoformat() if info.last_used_at else None,
    }
