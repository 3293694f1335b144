"""`cancelflow cases list/show/audit`: find cases (Temporal visibility) and read one in full:
its state, the email replies stored for it, its history as a timeline."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from workers.commands.common import (
    CliError,
    LazyChoice,
    case_id_argument,
    case_not_found,
    echo_json,
    fail,
    load_settings,
    run,
    temporal_client,
)

if TYPE_CHECKING:
    from cases.client import CaseListing
    from domain.case import CaseState
    from ops.audit import Timeline
    from workers.settings import Settings

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _statuses() -> list[str]:
    from domain.case import CaseStatus

    return [s.value for s in CaseStatus]


@click.command("list")
@click.option(
    "--status",
    type=LazyChoice(_statuses),
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
def list_cases_command(
    status: str | None,
    merchant: str | None,
    escalated: bool | None,
    query: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List cases by status, merchant, escalation (Temporal visibility; newest first)."""
    from cases.queries import case_query
    from domain.reply_token import case_reference
    from ops.terminal import visible

    if merchant and not _SLUG.match(merchant):
        fail(f"--merchant: '{visible(merchant)}' is not a merchant id (letters, digits, . _ -)")
    settings = load_settings()
    filters: dict[str, Any] = {
        "statuses": (status,) if status else (),
        "merchant_id": merchant,
        "escalated": escalated,
        "extra": query,
    }
    text = case_query(**filters)
    rows = run(_list(settings, filters, limit))
    if as_json:
        echo_json({"query": text, "cases": [_listing_json(r) for r in rows]})
        return
    if not rows:
        click.echo(f"no cases match: {visible(text)}")
        return
    header = ("CASE", "REFERENCE", "STATUS", "MERCHANT", "ROUND", "ESC", "OUTCOME", "REQUESTED")
    table = [header] + [
        (
            visible(r.case_id),
            case_reference(r.case_id),
            visible(r.status or "?"),
            visible(r.merchant_id or "?"),
            str(r.round or "?"),
            "yes" if r.escalated else "",
            visible(r.outcome or ""),
            r.requested_at.isoformat() if r.requested_at else "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _listing_json(listing: CaseListing) -> dict[str, Any]:
    from domain.reply_token import case_reference

    return {
        "case_id": listing.case_id,
        "reference": case_reference(listing.case_id),
        "workflow_id": listing.workflow_id,
        "status": listing.status,
        "merchant_id": listing.merchant_id,
        "round": listing.round,
        "escalated": listing.escalated,
        "outcome": listing.outcome,
        "requested_at": listing.requested_at.isoformat() if listing.requested_at else None,
        "workflow_status": listing.workflow_status,
    }


async def _list(settings: Settings, filters: dict[str, Any], limit: int) -> list[CaseListing]:
    from temporalio.service import RPCError, RPCStatusCode

    from cases.client import list_cases
    from ops.terminal import visible

    client = await temporal_client(settings)
    try:
        return [c async for c in list_cases(client, **filters, limit=limit)]
    except RPCError as err:
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            fail(
                f"Temporal refused the query: {visible(err.message)}",
                "run `cancelflow temporal setup` if a search attribute is unknown",
            )
        raise


# --- cases show --------------------------------------------------------------------------------


@click.command("show")
@case_id_argument()
@click.option("--json", "as_json", is_flag=True, help="Print state and replies as JSON.")
def show(case_id: str, as_json: bool) -> None:
    """Show case CASE_ID: its state and any email replies the merchant sent."""
    from ops.terminal import visible
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
        click.echo(f"{label:<10} {visible(value)}")
    if state.email_replies and not replies:
        for notice in state.email_replies:
            click.echo(
                f"reply      {notice.received_at.isoformat()} from {visible(notice.sender)}"
                f"{'' if notice.sender_verified else ' (' + unverified() + ')'}: "
                f"{visible(notice.subject)} (Message-ID {visible(notice.message_id)})"
            )
            if notice.suggestion is not None:
                click.echo(f"           reader: {visible(notice.suggestion.describe())}")
    for reply in replies:
        click.echo("")
        click.echo(f"--- email reply, Message-ID {visible(reply['message_id'])}")
        verified = (
            "" if reply["sender_verified"] else f"  ({unverified(reply['unverified_reason'])})"
        )
        click.echo(f"From:     {visible(reply['sender'])}{verified}")
        click.echo(f"Subject:  {visible(reply['subject'])}")
        told = _SIGNAL_STATUS.get(reply["signal_status"], reply["signal_status"])
        click.echo(f"Received: {reply['received_at']} ({told})")
        _echo_suggestion(reply["suggestion"])
        click.echo("")
        click.echo(visible(reply["text"], keep_newlines=True))
    if db_problem:
        click.echo(f"\n(stored email replies not shown: {db_problem})", err=True)
    if state.email_replies and state.answer is None:
        first = state.email_replies[-1].message_id
        if any(r["suggestion"] and r["suggestion"].get("outcome") for r in replies):
            click.echo(f"\nto record the reader's suggestion: cancelflow triage accept {case_id}")
        click.echo(
            f"\nto record the answer from this email: cancelflow cases respond {case_id} "
            f"--outcome ... --from-email '{visible(first)}'"
        )


def _echo_suggestion(suggestion: dict[str, Any] | None) -> None:
    if suggestion is None:
        return
    from domain.replies.note import ReplySuggestion
    from ops.terminal import visible

    note = ReplySuggestion.model_validate(suggestion)
    click.echo(f"Reader:   {visible(note.describe())}")
    for sentence in note.evidence:
        click.echo(f"          evidence: {visible(sentence)}")


def unverified(why: str | None = None) -> str:
    from ops.terminal import visible

    reason = visible(why) if why else "the sender could not be verified"
    return f"UNVERIFIED: {reason}; the case did not pause for it"


_SIGNAL_STATUS = {
    "delivered": "the case was told",
    "pending": "the case is not told yet; the gateway keeps trying",
    "case_closed": "arrived after the case closed",
}


async def _show(
    settings: Settings, case_id: str
) -> tuple[CaseState, list[dict[str, Any]], str | None]:
    from cases.history_source import HistorySource
    from workers.commands.archive import ArchiveOnDemand
    from workers.commands.cases import read_state
    from workers.commands.cases_erase import erased_case_state, erasure_record

    erased = await erasure_record(settings, case_id)
    if erased is not None:
        state = erased_case_state(erased)
        if state is not None:
            on = erased.erased_at.date().isoformat()
            return state, [], f"personal data erased on {on} ({erased.trigger.value})"
    client = await temporal_client(settings)
    try:
        state = await read_state(client, case_id, settings.temporal.task_queue)
    except CliError:
        # Temporal's retention deleted it: the archive has the state it closed with.
        archived = await HistorySource(client, ArchiveOnDemand(settings)).archived_state(case_id)
        if archived is None:
            raise
        state = archived
    try:
        replies = await stored_replies(settings, case_id)
    except Exception as err:  # noqa: BLE001 - the state alone is still worth showing
        return state, [], f"{type(err).__name__}: {err}"
    return state, replies, None


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
                    "sender_verified": reply.sender_verified,
                    "unverified_reason": reply.unverified_reason,
                    "suggestion": (await store.suggestion_of(reply)).model_dump(mode="json"),
                    "text": text_of(message),
                }
            )
        return replies
    finally:
        await pool.close()


# --- cases audit -------------------------------------------------------------------------------


@click.command("audit")
@case_id_argument()
@click.option("--json", "as_json", is_flag=True, help="Export the timeline as JSON.")
def audit(case_id: str, as_json: bool) -> None:
    """The case's history as a timeline: who did what when (open or closed cases)."""
    from cases.history_source import CaseHistoryNotFound, HistorySource
    from ops.audit import render_text, timeline_of_runs
    from workers.commands.archive import ArchiveOnDemand
    from workers.commands.cases_erase import erased_case_timeline, erasure_record

    settings = load_settings()

    async def timeline() -> Timeline:
        erased = await erasure_record(settings, case_id)
        if erased is not None:
            return erased_case_timeline(erased)
        client = await temporal_client(settings)
        source = HistorySource(client, ArchiveOnDemand(settings))
        try:
            runs = await source.case_histories(case_id)  # the archive once Temporal deleted it
        except CaseHistoryNotFound as err:
            raise case_not_found(case_id) from err
        return await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)

    result = run(timeline())
    if as_json:
        echo_json(result.to_json())
    else:
        click.echo(render_text(result))
