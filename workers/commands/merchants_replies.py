"""`cancelflow merchants auto-record MERCHANT_ID`: whether a merchant's verified email replies
record themselves (#19; off by default), as the merchant's settings page sets it too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workers.commands.common import database, fail, load_settings, run, validation_failure
from workers.commands.merchants import ops_actor

if TYPE_CHECKING:
    from domain.merchant import Merchant
    from workers.settings import Settings


@click.command("auto-record")
@click.argument("merchant_id")
@click.option("--on/--off", "enabled", default=None, help="Turn it on or off.")
@click.option(
    "--threshold",
    type=float,
    help="The reader's confidence a reply must be above (0.5-0.99; default 0.9).",
)
@click.option("--by", help="Who makes the change, for the change log (default: the OS user).")
def auto_record(
    merchant_id: str, enabled: bool | None, threshold: float | None, by: str | None
) -> None:
    """Show or set whether MERCHANT_ID's verified email replies record themselves.

    Only a verified sender's reply whose suggestion is above the threshold, never "other
    reason"; anything else waits for triage.
    """
    settings = load_settings()
    actor = ops_actor(by)
    merchant = run(_set(settings, merchant_id, enabled, threshold, actor))
    state = "on" if merchant.auto_record_replies else "off"
    click.echo(
        f"merchant {merchant.merchant_id}: email replies record themselves: {state} "
        f"(threshold {merchant.auto_record_threshold})"
    )


async def _set(
    settings: Settings,
    merchant_id: str,
    enabled: bool | None,
    threshold: float | None,
    actor: str,
) -> Merchant:
    from pydantic import ValidationError

    from domain.merchant import Merchant
    from storage.merchant_changes import MerchantChanges
    from storage.merchants import MerchantDirectory

    async with database(settings) as pool:
        directory = MerchantDirectory(pool)
        before = await directory.get(merchant_id)
        if before is None:
            fail(f"no merchant '{merchant_id}' (see `cancelflow merchants list`)")
        data = before.model_dump(mode="json")
        if enabled is not None:
            data["auto_record_replies"] = enabled
        if threshold is not None:
            data["auto_record_threshold"] = threshold
        try:
            after = Merchant.model_validate(data)
        except ValidationError as err:
            raise validation_failure("the setting", err, prefix="") from err
        old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
        names = ("auto_record_replies", "auto_record_threshold")
        diff = {n: {"from": old[n], "to": new[n]} for n in names if old[n] != new[n]}
        if diff:
            await directory.upsert(after)
            await MerchantChanges(pool).record(merchant_id, actor, "settings.changed", diff)
        return after
