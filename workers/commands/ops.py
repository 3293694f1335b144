"""Ops commands: find and read cases (`cases list/show/audit`), withdraw one, set up a cluster
(`temporal setup`), and run the mail gateway and codec server as their own processes.

CASE_COMMANDS join the `cases` group; the other groups are top-level (see workers/cli.py).
"""

from __future__ import annotations

import asyncio
import getpass
import re
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.actions import SnoozeRequest, WithdrawalRequest
from domain.case import CaseState, CaseStatus
from workers.commands.common import (
    EXIT_REJECTED,
    CliError,
    echo_json,
    fail,
    load_settings,
    run,
)
from workers.settings import Settings
from workflows import search_attributes as sa
from workflows.cancellation import WORKFLOW_ID_PREFIX, CancellationWorkflow, workflow_id_for
from workflows.client import CaseActionRejected, CaseNotFound, snooze_case, withdraw_case

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
QUERY_TIMEOUT = timedelta(seconds=10)


async def _client(settings: Settings) -> Client:
    from workers.temporal_client import TemporalUnreachable, connect

    try:
        return await connect(settings)
    except TemporalUnreachable as err:
        raise CliError(str(err)) from err


def _not_found(case_id: str) -> CliError:
    return CliError(f"no case '{case_id}' (workflow {workflow_id_for(case_id)} not found)")


# --- cases list --------------------------------------------------------------------------------


def visibility_query(
    status: str | None, merchant: str | None, escalated: bool | None, query: str | None
) -> str:
    """A Temporal list filter over the case search attributes (also usable in the UI)."""
    clauses = [f'WorkflowType = "{CancellationWorkflow.__name__}"']
    if status:
        clauses.append(f'{sa.CASE_STATUS.name} = "{status}"')
    if merchant:
        if not _SLUG.match(merchant):
            fail(f"--merchant: '{merchant}' is not a merchant id (letters, digits, . _ -)")
        clauses.append(f'{sa.MERCHANT_ID.name} = "{merchant}"')
    if escalated is not None:
        clauses.append(f"{sa.ESCALATED.name} = {'true' if escalated else 'false'}")
    if query:
        clauses.append(f"({query})")
    return " AND ".join(clauses)


@click.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in CaseStatus]),
    help="Only cases with this status.",
)
@click.option("--merchant", metavar="MERCHANT_ID", help="Only this merchant's cases.")
@click.option("--escalated/--not-escalated", default=None, help="Only (not) escalated cases.")
@click.option(
    "--query",
    metavar="Q",
    help="Extra Temporal list filter, e.g. 'RequestedAt < \"2026-01-01T00:00:00Z\"'.",
)
@click.option("--limit", default=100, show_default=True, help="At most this many cases.")
@click.option("--json", "as_json", is_flag=True, help="Print the cases as JSON.")
def list_cases(
    status: str | None,
    merchant: str | None,
    escalated: bool | None,
    query: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List cases by status, merchant, escalation (Temporal visibility; newest first)."""
    settings = load_settings()
    text = visibility_query(status, merchant, escalated, query)
    rows = run(_list(settings, text, limit))
    if as_json:
        echo_json({"query": text, "cases": rows})
        return
    if not rows:
        click.echo(f"no cases match: {text}")
        return
    header = ("CASE", "STATUS", "MERCHANT", "ROUND", "ESC", "OUTCOME", "REQUESTED")
    table = [header] + [
        (
            r["case_id"],
            r["status"] or "?",
            r["merchant_id"] or "?",
            str(r["round"] or "?"),
            "yes" if r["escalated"] else "",
            r["outcome"] or "",
            r["requested_at"] or "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


async def _list(settings: Settings, query: str, limit: int) -> list[dict[str, Any]]:
    client = await _client(settings)
    rows: list[dict[str, Any]] = []
    try:
        async for execution in client.list_workflows(query, limit=limit):
            attrs = execution.typed_search_attributes
            requested = attrs.get(sa.REQUESTED_AT)
            rows.append(
                {
                    "case_id": execution.id.removeprefix(WORKFLOW_ID_PREFIX),
                    "workflow_id": execution.id,
                    "status": attrs.get(sa.CASE_STATUS),
                    "merchant_id": attrs.get(sa.MERCHANT_ID),
                    "round": attrs.get(sa.CASE_ROUND),
                    "escalated": bool(attrs.get(sa.ESCALATED)),
                    "outcome": attrs.get(sa.OUTCOME),
                    "requested_at": requested.isoformat() if requested else None,
                    "workflow_status": execution.status.name if execution.status else None,
                }
            )
    except RPCError as err:
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            fail(
                f"Temporal refused the query: {err.message}",
                "run `cancelflow temporal setup` if a search attribute is unknown",
            )
        raise
    return rows


# --- cases show --------------------------------------------------------------------------------


@click.command("show")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="Print state and replies as JSON.")
def show(case_id: str, as_json: bool) -> None:
    """Show case CASE_ID: its state and any email replies the merchant sent."""
    from workers.commands.cases import describe_state

    settings = load_settings()
    state, replies, db_problem = run(_show(settings, case_id))
    if as_json:
        echo_json(
            {
                "state": state.model_dump(mode="json"),
                "email_replies": replies,
                "stored_replies_unavailable": db_problem,
            }
        )
        return
    for label, value in describe_state(state):
        click.echo(f"{label:<10} {value}")
    if state.email_replies and not replies:
        for notice in state.email_replies:
            click.echo(
                f"reply      {notice.received_at.isoformat()} from {notice.sender}: "
                f"{notice.subject} (Message-ID {notice.message_id})"
            )
    for reply in replies:
        click.echo("")
        click.echo(f"--- email reply, Message-ID {reply['message_id']}")
        click.echo(f"From:     {reply['sender']}")
        click.echo(f"Subject:  {reply['subject']}")
        told = _SIGNAL_STATUS.get(reply["signal_status"], reply["signal_status"])
        click.echo(f"Received: {reply['received_at']} ({told})")
        click.echo("")
        click.echo(reply["text"])
    if db_problem:
        click.echo(f"\n(stored email replies not shown: {db_problem})", err=True)
    if state.email_replies and state.answer is None:
        first = state.email_replies[-1].message_id
        click.echo(
            f"\nto record the answer from this email: cancelflow cases respond {case_id} "
            f"--outcome ... --from-email '{first}'"
        )


_SIGNAL_STATUS = {
    "delivered": "the case was told",
    "pending": "the case is not told yet; the gateway keeps trying",
    "case_closed": "arrived after the case closed",
}


async def _show(
    settings: Settings, case_id: str
) -> tuple[CaseState, list[dict[str, Any]], str | None]:
    client = await _client(settings)
    state = await read_state(client, case_id)
    try:
        replies = await stored_replies(settings, case_id)
    except Exception as err:  # noqa: BLE001 - the state alone is still worth showing
        return state, [], f"{type(err).__name__}: {err}"
    return state, replies, None


async def read_state(client: Client, case_id: str) -> CaseState:
    """The case's state: its query when a worker answers, else a closed case's result."""
    handle = client.get_workflow_handle_for(CancellationWorkflow.run, workflow_id_for(case_id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise _not_found(case_id) from err
        raise
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    try:
        return await handle.query(CancellationWorkflow.state, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as err:
        fail(
            f"case {case_id} did not answer its state query ({err.message}); "
            "is a worker running? `cancelflow cases audit` reads the history without one"
        )


async def stored_replies(settings: Settings, case_id: str) -> list[dict[str, Any]]:
    from inbound.store import InboundMailStore, text_of
    from workers.database import database_url
    from workers.mail_gateway_service import gateway_pool

    pool = await gateway_pool(database_url(settings))
    try:
        store = InboundMailStore(pool)
        replies = []
        for reply in await store.replies_for(case_id):
            message = await store.raw_message(reply.id)
            replies.append(
                {
                    "message_id": reply.message_id,
                    "sender": reply.sender,
                    "subject": reply.subject,
                    "received_at": reply.received_at.isoformat(),
                    "signal_status": reply.signal_status,
                    "text": text_of(message),
                }
            )
        return replies
    finally:
        await pool.close()


# --- cases audit -------------------------------------------------------------------------------


@click.command("audit")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="Export the timeline as JSON.")
def audit(case_id: str, as_json: bool) -> None:
    """The case's history as a timeline: who did what when (open or closed cases)."""
    from workers.audit import CaseHistoryNotFound, case_timeline, render_text

    settings = load_settings()

    async def timeline() -> Any:
        try:
            return await case_timeline(await _client(settings), case_id)
        except CaseHistoryNotFound as err:
            raise _not_found(case_id) from err

    result = run(timeline())
    if as_json:
        echo_json(result.to_json())
    else:
        click.echo(render_text(result))


# --- cases withdraw ----------------------------------------------------------------------------


@click.command("withdraw")
@click.argument("case_id")
@click.option("--reason", metavar="TEXT", help="Why the customer withdrew (for ops).")
@click.option(
    "--by",
    "requested_by",
    default=lambda: f"ops:{getpass.getuser()}",
    show_default="ops:<your user name>",
    help="Who asked for the withdrawal.",
)
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
    client = await _client(settings)
    try:
        return await action(client)
    except CaseActionRejected as err:
        fail(f"case {case_id} refused the {what}: {err}", exit_code=EXIT_REJECTED)
    except CaseNotFound:
        raise _not_found(case_id) from None


# --- cases snooze ------------------------------------------------------------------------------


@click.command("snooze")
@click.argument("case_id")
@click.option(
    "--until",
    "until",
    required=True,
    metavar="YYYY-MM-DD",
    help="No reminder or escalation before 09:00 (merchant time) on this date.",
)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the history).")
@click.option(
    "--by",
    "requested_by",
    default=lambda: f"ops:{getpass.getuser()}",
    show_default="ops:<your user name>",
    help="Who pushed the deadline.",
)
def snooze(case_id: str, until: str, reason: str, requested_by: str) -> None:
    """Push CASE_ID's next reminder or escalation to a date; resumes a case in triage."""
    from pydantic import ValidationError

    from domain.common import format_validation_error

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


# --- cases respond --from-email ----------------------------------------------------------------


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
        return await read_state(await _client(settings), case_id)

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


CASE_COMMANDS: list[click.Command] = [list_cases, show, audit, withdraw, snooze]


# --- temporal setup ----------------------------------------------------------------------------


@click.group("temporal")
def temporal() -> None:
    """Prepare a Temporal cluster for cancelflow."""


@temporal.command("setup")
def setup() -> None:
    """Register the case search attributes in the namespace (safe to run again)."""
    settings = load_settings()
    for line in run(_setup(settings)):
        click.echo(line)


async def register_search_attributes(client: Client) -> list[str]:
    """Add the missing case search attributes; returns one line per attribute."""
    try:
        added = await sa.register_search_attributes(client)
    except sa.SearchAttributeConflict as err:
        fail(str(err))
    keys = {key.name: key for key in sa.ALL_SEARCH_ATTRIBUTES}
    return [
        f"{name} ({sa.type_name(keys[name])}): "
        + ("registered" if was_added else "already registered")
        for name, was_added in added.items()
    ]


async def _setup(settings: Settings) -> list[str]:
    client = await _client(settings)
    try:
        lines = await register_search_attributes(client)
    except RPCError as err:
        fail(
            f"could not register search attributes in namespace {client.namespace}: {err.message}",
            "on Temporal Cloud add them with `tcld namespace search-attributes add` instead",
        )
    return [f"namespace {client.namespace}:"] + [f"  {line}" for line in lines]


# --- long-running processes: mail gateway, codec server -----------------------------------------


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@click.command("mail-gateway")
def mail_gateway() -> None:
    """Run the SMTP gateway that takes merchants' replies by email (until SIGTERM/Ctrl-C).

    Listens on CANCELFLOW_MAIL_GATEWAY__HOST/PORT for reply+<token>@CANCELFLOW_EMAIL__REPLY_DOMAIN.
    """
    from workers.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    run(_serve_mail_gateway(settings))


async def _serve_mail_gateway(settings: Settings) -> None:
    from storage.db import migrate
    from workers.database import database_url
    from workers.mail_gateway_service import gateway_pool, running_mail_gateway

    pool = await gateway_pool(database_url(settings))
    try:
        await migrate(pool)
        client = await _client(settings)
        stop = asyncio.Event()
        with _stop_on_signals(stop):
            async with running_mail_gateway(settings, pool, client) as gateway:
                click.echo(
                    f"mail gateway on {gateway.host}:{gateway.port} for "
                    f"reply+...@{settings.email.reply_domain}; Ctrl-C stops it"
                )
                await stop.wait()
    finally:
        await pool.close()


@click.group("codec")
def codec() -> None:
    """Payload encryption keys and the codec server for the Temporal UI."""


@codec.command("new-key")
@click.argument("key_id")
def new_key_command(key_id: str) -> None:
    """Print a new AES-256 key as 'KEY_ID:base64' for CANCELFLOW_CODEC__KEYS.

    To rotate, put the new key first and keep the old ones after it: the first encrypts,
    all of them decrypt.
    """
    from workers.codec import CodecKeyError, format_keys, new_key, parse_keys

    text = format_keys([new_key(key_id)])
    try:
        parse_keys(text)
    except CodecKeyError as err:
        fail(str(err).replace("CANCELFLOW_CODEC__KEYS entry 1", "KEY_ID"))
    click.echo(text)


@codec.command("serve")
def codec_serve() -> None:
    """Serve the codec over HTTP for the Temporal UI (`--ui-codec-endpoint`), until Ctrl-C."""
    settings = load_settings()
    run(_serve_codec(settings))


async def _serve_codec(settings: Settings) -> None:
    from workers.codec import EncryptionCodec, parse_keys
    from workers.codec_server import running_codec_server, ui_origins

    if settings.codec.keys is None:
        fail("CANCELFLOW_CODEC__KEYS is not set: there is nothing to decrypt with")
    codec_ = EncryptionCodec(parse_keys(settings.codec.keys.get_secret_value()))
    origins = settings.codec.allowed_origins or ui_origins(settings.temporal.dev_ui_port)
    stop = asyncio.Event()
    with _stop_on_signals(stop):
        async with running_codec_server(
            codec_, settings.codec.host, settings.codec.port, origins
        ) as url:
            click.echo(f"codec server at {url} for {', '.join(origins)}; Ctrl-C stops it")
            await stop.wait()


TOP_LEVEL_COMMANDS: list[click.Command] = [temporal, mail_gateway, codec]
