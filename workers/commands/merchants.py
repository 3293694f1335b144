"""`cancelflow merchants ...`: the merchant directory (who gets which identifiers, where)."""

from __future__ import annotations

import click
from pydantic import TypeAdapter, ValidationError

from domain.common import describe_validation_error
from domain.merchant import Merchant
from storage.merchants import MerchantDirectory
from workers.commands.common import CliError, database, echo_json, load_settings, read_json, run
from workers.settings import Settings


@click.group()
def merchants() -> None:
    """Manage the merchant directory."""


_MERCHANTS = TypeAdapter(list[Merchant])


@merchants.command("add")
@click.argument("file", metavar="FILE")
def add(file: str) -> None:
    """Add or update the merchant(s) in FILE (one Merchant object or a list; '-' for stdin)."""
    settings = load_settings()
    document = read_json(file)
    try:
        items = _MERCHANTS.validate_python(document if isinstance(document, list) else [document])
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
    for merchant, created in run(_upsert(settings, items)):
        receives = ", ".join(merchant.required_identifiers)
        click.echo(
            f"merchant {merchant.merchant_id}: {'added' if created else 'updated'} "
            f"({merchant.display_name}; receives {receives})"
        )


async def _upsert(settings: Settings, items: list[Merchant]) -> list[tuple[Merchant, bool]]:
    done: list[tuple[Merchant, bool]] = []
    async with database(settings) as pool:
        directory = MerchantDirectory(pool)
        for merchant in items:
            created = await directory.get(merchant.merchant_id) is None
            await directory.upsert(merchant)
            done.append((merchant, created))
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
    async with database(settings) as pool:
        return await MerchantDirectory(pool).list()
