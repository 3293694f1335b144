"""`cancelflow cases list/show/audit`: find cases (Temporal visibility) and read one in full:
its state, the email replies stored for it, its history as a timeline."""

from __future__ import annotations

import re
from typing import Any

import click
from temporalio.service import RPCError, RPCStatusCode

from domain.case import CaseState, CaseStatus
from inbound.store import InboundMailStore, text_of
from ops.audit import CaseHistoryNotFound, Timeline, case_timeline, render_text
from workers.commands.cases import describe_state, read_state
from workers.commands.common import (
    case_not_found,
    echo_json,
    fail,
    load_settings,
    run,
    temporal_client,
)
from workers.database import database_url
from workers.mail_gateway_service import gateway_pool
from workers.settings import Settings
from workflows import search_attributes as sa
from workflows.cancellation import WORKFLOW_ID_PREFIX, CancellationWorkflow

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
    client = await temporal_client(settings)
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
    client = await temporal_client(settings)
    state = await read_state(client, case_id)
    try:
        replies = await stored_replies(settings, case_id)
    except Exception as err:  # noqa: BLE001 - the state alone is still worth showing
        return state, [], f"{type(err).__name__}: {err}"
    return state, replies, None


async def stored_replies(settings: Settings, case_id: str) -> list[dict[str, Any]]:
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
    settings = load_settings()

    async def timeline() -> Timeline:
        try:
            return await case_timeline(await temporal_client(settings), case_id)
        except CaseHistoryNotFound as err:
            raise case_not_found(case_id) from err

    result = run(timeline())
    if as_json:
        echo_json(result.to_json())
    else:
        click.echo(render_text(result))


COMMANDS: list[click.Command] = [list_cases, show, audit]
