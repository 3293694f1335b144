"""What `cancelflow triage` does (workers/commands/triage.py declares the commands and loads
this module only when one of them runs)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import click

from cases.client import list_cases
from domain.answers import MerchantAnswer
from domain.case import CaseStatus
from domain.replies.note import ReplySuggestion
from domain.replies.reader import note_of, read_reply
from inbound.store import InboundMailStore, StoredReply
from ops.terminal import visible
from workers.commands.cases_actions import build_answer, submit_to_case
from workers.commands.common import (
    echo_json,
    fail,
    load_settings,
    run,
    temporal_client,
)
from workers.database import database_url
from workers.mail_gateway_service import gateway_pool
from workers.settings import Settings

# --- triage suggest ----------------------------------------------------------------------------


def run_suggest(message_file: str, received: date | None, language: str, as_json: bool) -> None:
    """What the reply reader makes of MESSAGE.eml (nothing is recorded)."""
    try:
        raw = Path(message_file).read_bytes()
    except FileNotFoundError:
        fail(f"{message_file}: no such file")
    except OSError as err:
        fail(f"{message_file}: cannot be read: {err.strerror or err}")
    day = received or _date_header(raw, message_file)
    note = note_of(read_reply(raw, day, "sv" if language == "sv" else "en"))
    if as_json:
        echo_json(note.to_json())
        return
    _echo_note(note)


def _date_header(raw: bytes, name: str) -> date:
    message = message_from_bytes(raw, policy=policy.default)
    try:
        header = message.get("Date")
        moment = parsedate_to_datetime(str(header)) if header is not None else None
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        fail(f"{name}: no readable Date header; give --received YYYY-MM-DD")
    return moment.date()


def _echo_note(note: ReplySuggestion, indent: str = "") -> None:
    click.echo(f"{indent}suggestion: {visible(note.describe())}")
    if note.message is not None:
        click.echo(f"{indent}message:    {visible(note.message)}")
    for sentence in note.evidence:
        click.echo(f"{indent}  evidence: {visible(sentence)}")


# --- triage list -------------------------------------------------------------------------------


def run_list(limit: int, as_json: bool) -> None:
    """Cases waiting for triage, the longest waiting first, each with its reply's suggestion."""
    settings = load_settings()
    rows = run(_waiting(settings, limit))
    if as_json:
        echo_json({"cases": rows})
        return
    if not rows:
        click.echo("no case is waiting for triage")
        return
    for row in rows:
        reply = row["reply"]
        if reply is None:
            click.echo(f"{visible(row['case_id'])}  (no stored reply found)")
            continue
        verified = "verified" if reply["sender_verified"] else "UNVERIFIED"
        click.echo(
            f"{visible(row['case_id'])}  {reply['received_at']}  {visible(reply['sender'])} "
            f"({verified})"
        )
        _echo_note(_note_from_json(reply), indent="    ")


def _note_from_json(reply: dict[str, Any]) -> ReplySuggestion:
    return ReplySuggestion.model_validate({**reply["suggestion"], "reader": reply["reader"]})


async def _waiting(settings: Settings, limit: int) -> list[dict[str, Any]]:
    client = await temporal_client(settings)
    cases = [
        c
        async for c in list_cases(
            client, statuses=(CaseStatus.NEEDS_TRIAGE.value,), running_only=True, limit=limit
        )
    ]
    pool = await gateway_pool(database_url(settings))
    try:
        store = InboundMailStore(pool)
        rows = []
        for case in cases:
            reply = await store.latest_reply(case.case_id)
            rows.append(
                {
                    "case_id": case.case_id,
                    "merchant_id": case.merchant_id,
                    "requested_at": case.requested_at.isoformat() if case.requested_at else None,
                    "reply": None if reply is None else await _reply_json(store, reply),
                }
            )
    finally:
        await pool.close()
    far = datetime.max.replace(tzinfo=UTC).isoformat()

    def waiting_since(row: dict[str, Any]) -> str:
        reply = row["reply"]
        return str(reply["received_at"]) if reply else far

    rows.sort(key=waiting_since)
    return rows


async def _reply_json(store: InboundMailStore, reply: StoredReply) -> dict[str, Any]:
    note = await store.suggestion_of(reply)
    return {
        "message_id": reply.message_id,
        "sender": reply.sender,
        "sender_verified": reply.sender_verified,
        "unverified_reason": reply.unverified_reason,
        "received_at": reply.received_at.isoformat(),
        "suggestion": note.to_json(),
        "reader": note.reader,
    }


# --- triage accept -----------------------------------------------------------------------------


def run_accept(case_id: str, accepted_by: str, as_json: bool) -> None:
    """Record the suggested answer of CASE_ID's email reply, as given by email.

    The same Update and validator as every answer; the reply's Message-ID is the reference.
    For a reply read differently, use `cancelflow cases respond CASE_ID ... --from-email`.
    """
    settings = load_settings()
    reply, answer = run(_answer_to_accept(settings, case_id, accepted_by))
    receipt = run(submit_to_case(settings, case_id, answer))
    if as_json:
        echo_json({"message_id": reply.message_id, **receipt.model_dump(mode="json")})
        return
    what = "recorded" if receipt.recorded else "was already recorded; nothing changed"
    click.echo(
        f"case {case_id}: the suggested answer of reply {visible(reply.message_id)} {what}: "
        f"{answer.outcome.value}"
    )
    click.echo(f"case {case_id}: status {receipt.status.value}")


async def _answer_to_accept(
    settings: Settings, case_id: str, accepted_by: str
) -> tuple[StoredReply, MerchantAnswer]:
    pool = await gateway_pool(database_url(settings))
    try:
        store = InboundMailStore(pool)
        reply = await store.latest_reply(case_id)
        if reply is None:
            fail(f"case {case_id} has no stored email reply; see `cancelflow cases show {case_id}`")
        if not reply.sender_verified:
            fail(
                f"the reply {visible(reply.message_id)} is from an unverified sender "
                f"({visible(reply.unverified_reason or '?')}): read it, and if you trust it, "
                f"record it with `cancelflow cases respond {case_id} ... --from-email`"
            )
        note = await store.suggestion_of(reply)
    finally:
        await pool.close()
    if note.outcome is None:
        fail(
            f"the reply {visible(reply.message_id)} has no suggestion "
            f"({visible(note.reason or '')}); record what it says with "
            f"`cancelflow cases respond {case_id} ... --from-email`"
        )
    answer = build_answer(
        outcome=note.outcome.value,
        answered_at=datetime.now(UTC),
        channel="email",
        responded_by=accepted_by,
        reference=reply.message_id,
        fields=note.answer_fields(),
    )
    return reply, answer
