"""`cancelflow cases resend`: send the merchant the case's request again (its Update
`resend_request`), refused with the case's reason (exit code 3) when it makes no sense.

Like every command module, it imports only click at its top (workers/cli.py loads it lazily).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workers.commands.common import by_option, case_id_argument

if TYPE_CHECKING:
    from domain.actions import ResendRequest
    from domain.case import CaseState
    from workers.settings import Settings


@click.command("resend")
@case_id_argument()
@by_option("Who asked for the resend (kept in the case's history).")
@click.option("--note", metavar="TEXT", help="Why, e.g. the merchant says it never got it.")
def resend(case_id: str, requested_by: str, note: str | None) -> None:
    """Send CASE_ID's request to the merchant again: the same identifiers, by email (and
    `cancellation.requested` again to a webhook merchant). The reminders and escalation keep
    their dates. A closed, withdrawn, erased or answered case refuses it (exit code 3)."""
    from pydantic import ValidationError

    from domain.actions import ResendRequest
    from ops.terminal import visible
    from workers.commands.common import load_settings, run, validation_failure

    try:
        request = ResendRequest(requested_by=requested_by, note=(note or "").strip() or None)
    except ValidationError as err:
        raise validation_failure("resend", err) from None
    state = run(_resend(load_settings(), case_id, request))
    sent = [e for e in state.emails if e.kind == f"request-resend-{state.requests_resent}"]
    where = f", Message-ID {visible(sent[-1].message_id)}" if sent else ""
    click.echo(
        f"case {visible(case_id)}: request sent to the merchant again "
        f"(resend {state.requests_resent}{where}); status {state.status.value}"
    )


async def _resend(settings: Settings, case_id: str, request: ResendRequest) -> CaseState:
    from cases.client import CaseActionRejected, CaseNotFound, resend_request
    from workers.commands.cases_erase import erasure_record
    from workers.commands.common import EXIT_REJECTED, case_not_found, fail, temporal_client

    erased = await erasure_record(settings, case_id)
    if erased is not None:
        # Its history can no longer be read (the case key is gone): say so in plain words.
        on = erased.erased_at.date().isoformat()
        fail(
            f"case {case_id} refused the resend: its personal data was erased on {on}",
            exit_code=EXIT_REJECTED,
        )
    client = await temporal_client(settings)
    try:
        return await resend_request(client, case_id, request)
    except CaseActionRejected as err:
        fail(f"case {case_id} refused the resend: {err}", exit_code=EXIT_REJECTED)
    except CaseNotFound:
        raise case_not_found(case_id) from None


COMMANDS: list[click.Command] = [resend]
