"""`cancelflow merchants ...`: the merchant directory (who gets which identifiers, where)."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

import click

from workers.commands.common import CliError, database, echo_json, load_settings, read_json, run

if TYPE_CHECKING:
    from domain.merchant import Merchant
    from workers.settings import Settings


@click.group()
def merchants() -> None:
    """Manage the merchant directory."""


def ops_actor(by: str | None = None) -> str:
    """Who made an ops change, as the merchant's change log shows it (`ops:<name>`)."""
    name = (by or "").strip() or getpass.getuser()
    if len(name) > 64 or any(not (c.isalnum() or c in "._@-") for c in name):
        raise CliError(f"--by: '{name[:64]}' must be 1-64 letters, digits, '.', '_', '@' or '-'")
    return f"ops:{name}"


@merchants.command("add")
@click.argument("file", metavar="FILE")
@click.option("--by", help="Who makes the change, for the change log (default: the OS user).")
def add(file: str, by: str | None) -> None:
    """Add or update the merchant(s) in FILE (one Merchant object or a list; '-' for stdin)."""
    from pydantic import TypeAdapter, ValidationError

    from domain.common import describe_validation_error
    from domain.merchant import Merchant

    settings = load_settings()
    actor = ops_actor(by)
    document = read_json(file)
    try:
        listed = document if isinstance(document, list) else [document]
        items = TypeAdapter(list[Merchant]).validate_python(listed)
    except ValidationError as err:
        problems = describe_validation_error(err)
        single = not isinstance(document, list)
        lines = [
            f"the merchant in {file} is not valid:"
            if single
            else f"the merchants in {file} are not valid:"
        ]
        for p in problems:
            field = p["field"].split(".", 1)[1] if single and "." in p["field"] else p["field"]
            if single and field.isdigit():
                field = "(merchant)"
            lines.append(f"  {field}: {p['message']}")
        raise CliError(*lines) from err
    for merchant, created in run(_upsert(settings, items, actor)):
        receives = ", ".join(merchant.required_identifiers)
        click.echo(
            f"merchant {merchant.merchant_id}: {'added' if created else 'updated'} "
            f"({merchant.display_name}; receives {receives})"
        )


def changed_settings(before: Merchant | None, after: Merchant) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}}, as the portal records its changes."""
    old = before.model_dump(mode="json") if before is not None else {}
    new = after.model_dump(mode="json")
    return {
        name: {"from": old.get(name), "to": value}
        for name, value in new.items()
        if old.get(name) != value and name != "merchant_id"
    }


async def _upsert(
    settings: Settings, items: list[Merchant], actor: str
) -> list[tuple[Merchant, bool]]:
    from storage.merchant_changes import MerchantChanges
    from storage.merchants import MerchantDirectory

    done: list[tuple[Merchant, bool]] = []
    async with database(settings) as pool:
        directory = MerchantDirectory(pool)
        changes = MerchantChanges(pool)
        for merchant in items:
            before = await directory.get(merchant.merchant_id)
            await directory.upsert(merchant)
            diff = changed_settings(before, merchant)
            # An unchanged file adds nothing to the log; a new merchant records all it set.
            if before is None or diff:
                what = "merchant.added" if before is None else "settings.changed"
                await changes.record(merchant.merchant_id, actor, what, diff)
            done.append((merchant, before is None))
    return done


@merchants.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the merchants as JSON.")
def list_(as_json: bool) -> None:
    """List the merchants in the directory."""
    settings = load_settings()
    found = run(_list(settings))
    if as_json:
        echo_json([m.model_dump(mode="json") for m in found])
        return
    if not found:
        click.echo("no merchants (add one with `cancelflow merchants add FILE`)")
        return
    for m in found:
        click.echo(
            f"{m.merchant_id:<24} {m.display_name:<24} {m.locale}  "
            f"to {', '.join(str(e) for e in m.cancellation_emails)}; "
            f"identifiers {', '.join(m.required_identifiers)}"
        )


async def _list(settings: Settings) -> list[Merchant]:
    from storage.merchants import MerchantDirectory

    async with database(settings) as pool:
        return await MerchantDirectory(pool).list()
