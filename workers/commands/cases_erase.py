"""`cancelflow cases erase`: erase a case's personal data (docs/privacy.md).

Like every command module, it imports only click and workers.commands.common (itself click
and the standard library) at its top (workers/cli.py loads it lazily).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workers.commands.common import by_option

if TYPE_CHECKING:
    from domain.case import CaseState
    from domain.erasure import ErasureReceipt, ErasureRequest
    from ops.audit import Timeline
    from storage.erasures import ErasureRecord
    from workers.settings import Settings


@click.command("erase")
@click.argument("case_id")
@click.option("--reason", metavar="TEXT", required=True, help="Why (kept; no personal data).")
@by_option("Who asked for the erasure.")
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
def erase(case_id: str, reason: str, requested_by: str, as_json: bool) -> None:
    """Erase case CASE_ID's personal data: an open case is withdrawn first (the merchant is
    told to disregard it); its timeline stays, each personal value reading "erased on DATE".
    Erasing an erased case again is acknowledged."""
    from pydantic import ValidationError

    from domain.erasure import ErasureRequest
    from ops.terminal import visible
    from workers.commands.common import echo_json, load_settings, run, validation_failure

    try:
        request = ErasureRequest(reason=reason, requested_by=requested_by)
    except ValidationError as err:
        raise validation_failure("erasure", err) from None
    receipt = run(_erase(load_settings(), case_id, request))
    if as_json:
        echo_json(receipt.model_dump(mode="json"))
        return
    on = receipt.erased_at.date().isoformat()
    if receipt.already:
        click.echo(
            f"case {visible(case_id)}: already erased on {on} by {visible(receipt.erased_by)}; "
            "nothing more to do"
        )
        return
    withdrawn = " (withdrawn first: the merchant was told to disregard it)"
    click.echo(
        f"case {visible(case_id)}: personal data erased on {on}"
        f"{withdrawn if receipt.withdrawn else ''}"
    )


async def _erase(settings: Settings, case_id: str, request: ErasureRequest) -> ErasureReceipt:
    from cases.client import CaseNotFound
    from cases.erasure import erase_case
    from workers.commands.common import case_not_found, temporal_client

    client = await temporal_client(settings)
    try:
        return await erase_case(client, case_id, request, settings.temporal.task_queue)
    except CaseNotFound:
        raise case_not_found(case_id) from None


async def erasure_record(settings: Settings, case_id: str) -> ErasureRecord | None:
    """The case's erasure record, read before its history: an erased case is shown from what
    it kept. None when it is not erased (or there is no database to ask)."""
    from storage.erasures import ErasureStore
    from workers.commands.common import database
    from workers.database import DatabaseUnavailable, SchemaNotCurrent

    try:
        async with database(settings) as pool:
            return await ErasureStore(pool).get(case_id)
    except (DatabaseUnavailable, SchemaNotCurrent):
        # Reading a case must not depend on it; its payloads will say if they need the keys.
        return None


def erased_case_timeline(record: ErasureRecord) -> Timeline:
    from ops.audit.erased import erased_timeline

    return erased_timeline(
        record.remains, record.erased_at, record.erased_by, record.reason, record.trigger.value
    )


def erased_case_state(record: ErasureRecord) -> CaseState | None:
    from domain.case import CaseState

    state = record.remains.get("state")
    return CaseState.model_validate(state) if state is not None else None


COMMANDS: list[click.Command] = [erase]
