"""`cancelflow cases ...`: the group, starting a case and reading where it is.

The other case commands live beside this module (cases_show.py: list/show/audit,
cases_actions.py: respond/withdraw/snooze); workers/cli.py adds them to the group.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from workers.commands.common import (
    case_id_argument,
    case_not_found,
    database,
    echo_json,
    fail,
    load_settings,
    read_json,
    run,
    temporal_client,
    validation_failure,
)

if TYPE_CHECKING:
    from temporalio.client import Client

    from cases.client import StartedCase
    from domain.answers import MerchantAnswer
    from domain.case import CaseState
    from domain.request import (
        CancellationRequest,
    )
    from workers.settings import Settings

QUERY_TIMEOUT = timedelta(seconds=10)
# A worker polls continuously (each long poll lasts up to a minute): one not seen for longer
# than this is gone, e.g. killed.
POLLER_FRESHNESS = timedelta(seconds=75)
NO_POLLER_TIMEOUT = timedelta(seconds=2)


@click.group()
def cases() -> None:
    """Start cancellation cases, see where they are, record merchants' answers."""


# --- cases start -----------------------------------------------------------------------------


@cases.command("start")
@click.argument("file", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def start(file: str, as_json: bool) -> None:
    """Start the case described by FILE (a CancellationRequest as JSON; '-' for stdin).

    Starting the same case_id again finds the existing case instead of creating a second one.
    """
    from pydantic import ValidationError

    from domain.request import CancellationRequest

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
    from cases.client import HistorySource, start_case
    from domain.request import MissingIdentifiersError, check_request_for_merchant
    from storage.erasures import ErasureStore
    from storage.merchants import MerchantDirectory
    from workers.commands.archive import ArchiveOnDemand

    async with database(settings) as pool:
        merchant = await MerchantDirectory(pool).get(request.merchant_id)
        erased = await ErasureStore(pool).get(request.case_id)
    if erased is not None:
        fail(
            f"case {request.case_id}: its personal data was erased on "
            f"{erased.erased_at.date().isoformat()}; a new request needs a new case_id"
        )
    if merchant is None:
        fail(
            f"merchant_id: there is no merchant '{request.merchant_id}' in the directory "
            "(see `cancelflow merchants list`)"
        )
    try:
        check_request_for_merchant(request, merchant)
    except MissingIdentifiersError as err:
        fail(str(err))
    client = await temporal_client(settings)
    history = HistorySource(client, ArchiveOnDemand(settings))
    return await start_case(
        client,
        request,
        settings.temporal.task_queue,
        history=history,
        merchant_name=merchant.display_name,
    )


# --- cases status ----------------------------------------------------------------------------


@cases.command("status")
@case_id_argument()
@click.option("--json", "as_json", is_flag=True, help="Print the full state as JSON.")
def status(case_id: str, as_json: bool) -> None:
    """Show where case CASE_ID is (the workflow's `state` query)."""
    from ops.terminal import visible

    settings = load_settings()
    state = run(_status(settings, case_id))
    if as_json:
        click.echo(state.model_dump_json(indent=2))
        return
    for label, value in describe_state(state):
        click.echo(f"{label:<10} {visible(value)}")


async def _status(settings: Settings, case_id: str) -> CaseState:
    from workers.commands.cases_erase import erased_case_state, erasure_record

    erased = await erasure_record(settings, case_id)
    state = erased_case_state(erased) if erased is not None else None
    if state is not None:
        return state  # its payloads no longer decode: the state it kept at erasure
    client = await temporal_client(settings)
    return await read_state(client, case_id, settings.temporal.task_queue)


def describe_state(state: CaseState) -> list[tuple[str, str]]:
    """The state as label/value lines for people."""
    from domain.reply_token import case_reference
    from workflows.cancellation import workflow_id_for

    lines = [
        (
            "case",
            f"{state.case_id}, {case_reference(state.case_id)} "
            f"(workflow {workflow_id_for(state.case_id)})",
        ),
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


async def read_state(client: Client, case_id: str, task_queue: str) -> CaseState:
    """The case's state: a closed case's result, else its query when a worker is polling.

    Without a worker the server would hold the query until its timeout: the task queue's
    pollers are asked first, so the answer is immediate and says what is wrong.
    """
    from temporalio.service import RPCError

    from cases.client import CaseNotFound, settled_state

    polled = await has_recent_poller(client, task_queue)
    try:
        return await settled_state(
            client, case_id, rpc_timeout=QUERY_TIMEOUT if polled else NO_POLLER_TIMEOUT
        )
    except CaseNotFound:
        raise case_not_found(case_id) from None
    except RPCError as err:
        if not polled:
            fail(
                f"case {case_id} is open and no worker is polling the task queue "
                f"'{task_queue}', so nobody can answer its state query; start one with "
                "`cancelflow worker` (`cancelflow cases audit` reads the history without one)"
            )
        fail(
            f"case {case_id} did not answer its state query ({err.message}); "
            "`cancelflow cases audit` reads the history without a worker"
        )


async def has_recent_poller(client: Client, task_queue: str) -> bool:
    """Has a worker polled the workflow task queue lately (the server keeps pollers ~minutes)?"""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.service import RPCError

    try:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=QUERY_TIMEOUT,
        )
    except RPCError:
        return True  # cannot tell: let the query (with its timeout) decide
    recent = datetime.now(UTC) - POLLER_FRESHNESS
    return any(
        poller.last_access_time.ToDatetime(tzinfo=UTC) >= recent for poller in response.pollers
    )
