"""`cancelflow cases ...`: start a case, read its state, record a merchant's answer."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

import click
from pydantic import ValidationError
from temporalio.client import Client

from domain.answers import MerchantAnswer, Outcome, parse_answer
from domain.case import AnswerReceipt, CaseState
from domain.common import Channel, describe_validation_error
from domain.request import CancellationRequest, MissingIdentifiersError, check_request_for_merchant
from workers.commands.common import (
    EXIT_REJECTED,
    CliError,
    echo_json,
    fail,
    load_settings,
    read_json,
    run,
    validation_failure,
)
from workers.settings import Settings
from workflows.cancellation import workflow_id_for
from workflows.client import (
    AnswerRejected,
    CaseNotFound,
    StartedCase,
    case_state,
    start_case,
    submit_answer,
)


@click.group()
def cases() -> None:
    """Start cancellation cases, see where they are, record merchants' answers."""


async def _client(settings: Settings) -> Client:
    from workers.temporal_client import TemporalUnreachable, connect

    try:
        return await connect(settings)
    except TemporalUnreachable as err:
        raise CliError(str(err)) from err


# --- cases start -----------------------------------------------------------------------------


@cases.command("start")
@click.argument("file", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def start(file: str, as_json: bool) -> None:
    """Start the case described by FILE (a CancellationRequest as JSON; '-' for stdin).

    Starting the same case_id again finds the existing case instead of creating a second one.
    """
    settings = load_settings()
    try:
        request = CancellationRequest.model_validate(read_json(file))
    except ValidationError as err:
        raise validation_failure(f"the cancellation request in {file}", err) from err
    started = run(_start(settings, request))

    same_request = started.request is None or started.request == request
    if as_json:
        echo_json(
            {
                "case_id": request.case_id,
                "workflow_id": started.handle.id,
                "created": started.created,
                "same_request": same_request,
            }
        )
        return
    if started.created:
        click.echo(f"case {request.case_id}: started (workflow {started.handle.id})")
    else:
        click.echo(
            f"case {request.case_id}: already exists (workflow {started.handle.id}); "
            "nothing new was started"
        )
        if not same_request:
            click.echo(
                "note: the existing case was started with a different request; "
                "this file was not applied",
                err=True,
            )


async def _start(settings: Settings, request: CancellationRequest) -> StartedCase:
    from storage.merchants import MerchantDirectory
    from workers.database import DatabaseUnavailable, database_pool, database_url

    try:
        async with database_pool(database_url(settings)) as pool:
            merchant = await MerchantDirectory(pool).get(request.merchant_id)
    except DatabaseUnavailable as err:
        raise CliError(str(err)) from err
    if merchant is None:
        fail(
            f"merchant_id: there is no merchant '{request.merchant_id}' in the directory "
            "(see `cancelflow merchants list`)"
        )
    try:
        check_request_for_merchant(request, merchant)
    except MissingIdentifiersError as err:
        fail(str(err))
    client = await _client(settings)
    return await start_case(client, request, settings.temporal.task_queue)


# --- cases status ----------------------------------------------------------------------------


@cases.command("status")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="Print the full state as JSON.")
def status(case_id: str, as_json: bool) -> None:
    """Show where case CASE_ID is (the workflow's `state` query)."""
    settings = load_settings()
    state = run(_status(settings, case_id))
    if as_json:
        click.echo(state.model_dump_json(indent=2))
        return
    for label, value in describe_state(state):
        click.echo(f"{label:<10} {value}")


async def _status(settings: Settings, case_id: str) -> CaseState:
    client = await _client(settings)
    try:
        return await case_state(client, case_id)
    except CaseNotFound:
        fail(f"no case '{case_id}' (workflow {workflow_id_for(case_id)} not found)")


def describe_state(state: CaseState) -> list[tuple[str, str]]:
    """The state as label/value lines for people."""
    lines = [
        ("case", f"{state.case_id} (workflow {workflow_id_for(state.case_id)})"),
        ("merchant", state.merchant_id),
        (
            "status",
            state.status.value + (f" (next: {state.next_action})" if state.next_action else ""),
        ),
        ("round", str(state.round)),
        ("requested", state.requested_at.isoformat()),
    ]
    if state.answer is not None:
        lines.append(("answer", describe_answer(state.answer)))
    if state.customer_outcome is not None:
        outcome = state.customer_outcome
        told = outcome.kind.value
        if outcome.effective_date:
            told += f" ({outcome.effective_date.isoformat()})"
        if state.customer_notified_at:
            told += f", notified {state.customer_notified_at.isoformat()}"
        lines.append(("customer", told))
    for email in state.emails:
        lines.append(
            (
                "email",
                f"{email.kind} (round {email.round}) {email.sent_at.isoformat()} "
                f"{email.message_id}",
            )
        )
    if state.escalated:
        lines.append(("escalated", "yes"))
    for reason in state.rejected_answers:
        lines.append(("rejected", reason))
    if state.failure:
        lines.append(("failure", state.failure))
    if state.closed_at:
        lines.append(("closed", state.closed_at.isoformat()))
    return lines


def describe_answer(answer: MerchantAnswer) -> str:
    details = ", ".join(f"{k} {v}" for k, v in answer.outcome_fields().items() if k != "outcome")
    text = answer.outcome.value + (f" ({details})" if details else "")
    return (
        f"{text}; by {answer.responded_by} via {answer.channel.value} "
        f"at {answer.answered_at.isoformat()}"
    )


# --- cases respond ---------------------------------------------------------------------------

# Options that carry an answer's own fields, by field name.
_ANSWER_OPTIONS = {
    "access_until": "--access-until",
    "cancelled_on": "--cancelled-on",
    "contract_ends_on": "--contract-ends-on",
    "message": "--message",
}


@cases.command("respond")
@click.argument("case_id")
@click.option(
    "--outcome",
    required=True,
    type=click.Choice([o.value for o in Outcome]),
    help="What the merchant answered (the five outcomes of the merchant guide).",
)
@click.option(
    "--access-until",
    metavar="DATE",
    help="has_now_been_cancelled: the customer has access until this date.",
)
@click.option(
    "--cancelled-on",
    metavar="DATE",
    help="was_already_cancelled: the date the cancellation was performed.",
)
@click.option(
    "--contract-ends-on",
    metavar="DATE",
    help="binding_contract: the date the binding contract expires.",
)
@click.option(
    "--message",
    metavar="TEXT",
    help="other_reason: the merchant's explanation (never shown to the customer).",
)
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
    access_until: str | None,
    cancelled_on: str | None,
    contract_ends_on: str | None,
    message: str | None,
    responded_by: str,
    channel: str,
    reference: str | None,
    from_email: str | None,
    as_json: bool,
) -> None:
    """Record the merchant's answer for CASE_ID (through the workflow's Update).

    The case accepts the answer or says why not: a different answer than the one recorded,
    or any answer after the case closed, is rejected (exit code 3).
    """
    settings = load_settings()
    if from_email is not None:
        from workers.commands.ops import answer_from_email

        channel, reference, responded_by = answer_from_email(
            settings, case_id, from_email, channel, reference, responded_by
        )
    fields = {
        "access_until": access_until,
        "cancelled_on": cancelled_on,
        "contract_ends_on": contract_ends_on,
        "message": message,
    }
    answer = build_answer(
        outcome=outcome,
        answered_at=datetime.now(UTC),
        channel=channel,
        responded_by=responded_by,
        reference=reference,
        fields={k: v for k, v in fields.items() if v is not None},
    )
    receipt = run(_respond(settings, case_id, answer))
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
            option = _ANSWER_OPTIONS.get(field, "--by" if field == "responded_by" else field)
            text = problem["message"]
            if text == "Field required":
                text = f"required for outcome {outcome}"
            elif text == "Extra inputs are not permitted":
                text = f"does not belong to outcome {outcome}"
            lines.append(f"  {option}: {text}")
        raise CliError(*lines) from err


async def _respond(settings: Settings, case_id: str, answer: MerchantAnswer) -> AnswerReceipt:
    client = await _client(settings)
    try:
        return await submit_answer(client, case_id, answer)
    except CaseNotFound:
        fail(f"no case '{case_id}' (workflow {workflow_id_for(case_id)} not found)")
    except AnswerRejected as err:
        fail(f"case {case_id} rejected the answer: {err}", exit_code=EXIT_REJECTED)
