"""`cancelflow cases respond/withdraw/snooze`: the case's Updates, refused with the case's reason
(exit code 3) when the case will not take them."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import click
from pydantic import ValidationError
from temporalio.client import Client

from cases.client import (
    AnswerRejected,
    CaseActionRejected,
    CaseNotFound,
    snooze_case,
    submit_answer,
    withdraw_case,
)
from domain.actions import SnoozeRequest, WithdrawalRequest
from domain.answers import MerchantAnswer, Outcome, parse_answer
from domain.case import AnswerReceipt, CaseState
from domain.common import Channel, describe_validation_error, format_validation_error
from domain.outcomes import OUTCOMES, FieldKind, answer_fields
from workers.commands.cases import describe_answer, read_state
from workers.commands.common import (
    EXIT_REJECTED,
    CliError,
    by_option,
    case_id_argument,
    case_not_found,
    date_option,
    fail,
    load_settings,
    run,
    temporal_client,
)
from workers.settings import Settings

# --- cases respond ---------------------------------------------------------------------------


def _answer_field_options(command: Callable[..., None]) -> Callable[..., None]:
    """One option per answer field of any outcome (--access-until, ..., --message), with the
    outcome it belongs to and its help, from domain/outcomes.py."""
    for answer_field in reversed(answer_fields()):
        owners = ", ".join(s.outcome.value for s in OUTCOMES.values() if answer_field in s.fields)
        help_text = answer_field.text.help
        is_date = answer_field.kind is FieldKind.DATE
        command = click.option(
            answer_field.option,
            answer_field.name,
            metavar="YYYY-MM-DD" if is_date else "TEXT",
            callback=date_option if is_date else None,
            help=f"{owners}: {help_text[0].lower()}{help_text[1:]}.",
        )(command)
    return command


@click.command("respond")
@case_id_argument()
@click.option(
    "--outcome",
    required=True,
    type=click.Choice([o.value for o in Outcome]),
    help="What the merchant answered (an outcome of the merchant guide).",
)
@_answer_field_options
@click.option(
    "--by",
    "responded_by",
    default=getpass.getuser,
    show_default="your user name",
    help="Who gave the answer.",
)
@click.option(
    "--channel",
    type=click.Choice([c.value for c in Channel]),
    default="ops",
    show_default=True,
    help="How the answer reached us.",
)
@click.option(
    "--reference",
    metavar="TEXT",
    help="Where the answer came from, e.g. the Message-ID of the merchant's email.",
)
@click.option(
    "--from-email",
    "from_email",
    metavar="MESSAGE_ID",
    help="The answer is in this email reply of the case (see `cases show`): "
    "records it as given by email, with the message as reference.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
def respond(
    case_id: str,
    outcome: str,
    responded_by: str,
    channel: str,
    reference: str | None,
    from_email: str | None,
    as_json: bool,
    **fields: date | str | None,
) -> None:
    """Record the merchant's answer for CASE_ID (through the workflow's Update).

    The case accepts the answer or says why not: a different answer than the one recorded,
    or any answer after the case closed, is rejected (exit code 3).
    """
    settings = load_settings()
    if from_email is not None:
        channel, reference, responded_by = answer_from_email(
            settings, case_id, from_email, channel, reference, responded_by
        )
    answer = build_answer(
        outcome=outcome,
        answered_at=datetime.now(UTC),
        channel=channel,
        responded_by=responded_by,
        reference=reference,
        fields={k: v for k, v in fields.items() if v is not None},
    )
    receipt = run(submit_to_case(settings, case_id, answer))
    if as_json:
        click.echo(receipt.model_dump_json(indent=2))
        return
    if receipt.recorded:
        click.echo(f"case {case_id}: answer recorded: {describe_answer(receipt.answer)}")
    else:
        click.echo(
            f"case {case_id}: this answer was already recorded "
            f"({describe_answer(receipt.answer)}); nothing changed"
        )
    click.echo(f"case {case_id}: status {receipt.status.value}")


def build_answer(
    *,
    outcome: str,
    answered_at: datetime,
    channel: str,
    responded_by: str,
    reference: str | None,
    fields: dict[str, Any],
) -> MerchantAnswer:
    """The answer from command-line values; problems name the option to fix."""
    data: dict[str, Any] = {
        "outcome": outcome,
        "answered_at": answered_at,
        "channel": channel,
        "responded_by": responded_by,
        **fields,
    }
    if reference is not None:
        data["reference"] = reference
    try:
        return parse_answer(data)
    except ValidationError as err:
        lines = [f"the answer is not valid for outcome {outcome}:"]
        for problem in describe_validation_error(err):
            field = problem["field"]
            option = _OPTIONS.get(field, "--by" if field == "responded_by" else field)
            text = problem["message"]
            if text == "Field required":
                text = f"required for outcome {outcome}"
            elif text == "Extra inputs are not permitted":
                text = f"does not belong to outcome {outcome}"
            lines.append(f"  {option}: {text}")
        raise CliError(*lines) from err


_OPTIONS = {f.name: f.option for f in answer_fields()}


async def submit_to_case(settings: Settings, case_id: str, answer: MerchantAnswer) -> AnswerReceipt:
    """The answer submitted to the case as `cases respond` and `triage run` do; a refusal exits."""
    client = await temporal_client(settings)
    try:
        return await submit_answer(client, case_id, answer)
    except CaseNotFound:
        raise case_not_found(case_id) from None
    except AnswerRejected as err:
        fail(f"case {case_id} rejected the answer: {err}", exit_code=EXIT_REJECTED)


def answer_from_email(
    settings: Settings,
    case_id: str,
    message_id: str,
    channel: str,
    reference: str | None,
    recorded_by: str,
) -> tuple[str, str, str]:
    """(channel, reference, responded_by) for an answer ops read in an email reply of the case.

    The reply must be one the case was told about; the responder is the email's sender, as
    recorded by the person running the command.
    """
    ctx = click.get_current_context()
    wanted = message_id.strip().strip("<>")

    async def replies() -> CaseState:
        return await read_state(
            await temporal_client(settings), case_id, settings.temporal.task_queue
        )

    state = run(replies())
    notice = next((r for r in state.email_replies if r.message_id == wanted), None)
    if notice is None:
        known = ", ".join(r.message_id for r in state.email_replies) or "none"
        fail(
            f"--from-email: case {case_id} has no email reply with Message-ID {wanted} "
            f"(its replies: {known}); see `cancelflow cases show {case_id}`"
        )
    if reference is not None and reference.strip("<>") != wanted:
        fail("--reference: conflicts with --from-email; give one of them")
    if (
        ctx.get_parameter_source("channel") is click.core.ParameterSource.COMMANDLINE
        and channel != "email"
    ):
        fail(f"--channel: an answer from an email reply has channel email, not {channel}")
    if ctx.get_parameter_source("responded_by") is not click.core.ParameterSource.COMMANDLINE:
        recorded_by = f"{notice.sender} (recorded by {recorded_by})"
    return "email", wanted, recorded_by


# --- cases withdraw ----------------------------------------------------------------------------


@click.command("withdraw")
@case_id_argument()
@click.option("--reason", metavar="TEXT", help="Why the customer withdrew (for ops).")
@by_option("Who asked for the withdrawal.")
def withdraw(case_id: str, reason: str | None, requested_by: str) -> None:
    """Withdraw case CASE_ID: the merchant is told to disregard it, the customer is told."""
    settings = load_settings()
    request = WithdrawalRequest(requested_by=requested_by, reason=reason)
    state = run(
        _case_action(settings, case_id, "withdrawal", lambda c: withdraw_case(c, case_id, request))
    )
    click.echo(f"case {case_id}: withdrawal recorded; status {state.status.value}")


async def _case_action(
    settings: Settings,
    case_id: str,
    what: str,
    action: Callable[[Client], Awaitable[CaseState]],
) -> CaseState:
    """Run one of the case's Updates; a refusal exits 3 with the case's reason."""
    client = await temporal_client(settings)
    try:
        return await action(client)
    except CaseActionRejected as err:
        fail(f"case {case_id} refused the {what}: {err}", exit_code=EXIT_REJECTED)
    except CaseNotFound:
        raise case_not_found(case_id) from None


# --- cases snooze ------------------------------------------------------------------------------


@click.command("snooze")
@case_id_argument()
@click.option(
    "--until",
    "until",
    required=True,
    metavar="YYYY-MM-DD",
    callback=date_option,
    help="No reminder or escalation before 09:00 (merchant time) on this date.",
)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the history).")
@by_option("Who pushed the deadline.")
def snooze(case_id: str, until: date, reason: str, requested_by: str) -> None:
    """Push CASE_ID's next reminder or escalation to a date; resumes a case in triage."""
    try:
        request = SnoozeRequest.model_validate(
            {"until": until, "reason": reason, "requested_by": requested_by}
        )
    except ValidationError as err:
        fail(format_validation_error(err))
    settings = load_settings()
    state = run(
        _case_action(settings, case_id, "snooze", lambda c: snooze_case(c, case_id, request))
    )
    resumes = state.snoozed_until.isoformat() if state.snoozed_until else until
    click.echo(f"case {case_id}: snoozed until {resumes}; status {state.status.value}")
