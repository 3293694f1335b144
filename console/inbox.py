"""The triage inbox: every case that needs a person, oldest first, with counts.

Each section is one Temporal visibility query on the case search attributes (CaseStatus,
Escalated, MerchantId, RequestedAt: indexed by the visibility store) plus one count, so the
cost follows the cases that need a person, not the open cases in all. The replies of the
cases in triage come in one indexed SQL query (inbound_mail's (case_id, message_id) key).
Webhooks that gave up come from webhook_failures (indexed by gave_up_at).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from cases.client import CaseListing, list_cases
from cases.queries import case_query
from domain.case import OPEN_STATUSES, CaseStatus
from domain.reply_token import case_reference
from storage.webhooks import FailedDelivery
from workflows import search_attributes as sa

LISTED_PER_SECTION = 200
# Past this many cases in a section the oldest are among those read, not guaranteed oldest.
SCANNED_PER_SECTION = 5000
# Webhook give-ups are listed for this long (the ops email and the digest report each once).
WEBHOOK_WINDOW = timedelta(days=30)
# The reply reader's suggestion (issue 19), stored beside the reply when that column exists.
SUGGESTION_COLUMN = "suggestion"


@dataclass(frozen=True)
class InboxFilter:
    merchant_id: str | None = None
    older_than_days: int | None = None

    def extra(self, now: datetime) -> str | None:
        if self.older_than_days is None:
            return None
        before = (now - timedelta(days=self.older_than_days)).astimezone(UTC)
        return f"{sa.REQUESTED_AT.name} < '{before.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


@dataclass(frozen=True)
class ReplySummary:
    message_id: str
    sender: str
    subject: str
    received_at: datetime
    sender_verified: bool
    unverified_reason: str | None
    suggestion: dict[str, Any] | None = None


@dataclass(frozen=True)
class InboxCase:
    listing: CaseListing
    reference: str
    reply: ReplySummary | None = None

    @property
    def since(self) -> datetime:
        return self.listing.requested_at or self.listing.started_at


@dataclass
class Inbox:
    triage: list[InboxCase] = field(default_factory=list)
    escalated: list[InboxCase] = field(default_factory=list)
    failed: list[InboxCase] = field(default_factory=list)
    webhooks: list[FailedDelivery] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _sections(filters: InboxFilter, now: datetime) -> dict[str, dict[str, Any]]:
    """Each section's filters, as cases.queries.case_query takes them."""
    common: dict[str, Any] = {"merchant_id": filters.merchant_id, "extra": filters.extra(now)}
    still_open = sorted(s.value for s in OPEN_STATUSES if s != CaseStatus.NEEDS_TRIAGE)
    return {
        "triage": {"statuses": (CaseStatus.NEEDS_TRIAGE.value,), "running_only": True, **common},
        "escalated": {
            "statuses": tuple(still_open),
            "escalated": True,
            "running_only": True,
            **common,
        },
        "failed": {"statuses": (CaseStatus.FAILED.value,), **common},
    }


async def _section(client: Client, filters: dict[str, Any]) -> tuple[list[InboxCase], int]:
    """The section's oldest cases, oldest first, and how many there are.

    Visibility lists newest first and SQL visibility cannot sort, so up to SCANNED_PER_SECTION
    cases are read and the oldest kept; the listing is its own count unless it was cut there.
    """
    cases = [
        InboxCase(listing=c, reference=case_reference(c.case_id))
        async for c in list_cases(client, **filters, limit=SCANNED_PER_SECTION)
    ]
    cases.sort(key=lambda c: c.since)
    if len(cases) < SCANNED_PER_SECTION:
        return cases[:LISTED_PER_SECTION], len(cases)
    counted = await client.count_workflows(case_query(**filters))
    return cases[:LISTED_PER_SECTION], counted.count


async def has_suggestions(pool: asyncpg.Pool) -> bool:
    return bool(
        await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'inbound_mail' AND column_name = $1)",
            SUGGESTION_COLUMN,
        )
    )


async def latest_replies(
    pool: asyncpg.Pool, case_ids: list[str], with_suggestion: bool
) -> dict[str, ReplySummary]:
    """The newest stored reply of each case, by case id."""
    if not case_ids:
        return {}
    suggestion = f"{SUGGESTION_COLUMN}::text" if with_suggestion else "NULL::text"
    rows = await pool.fetch(
        f"""
        SELECT DISTINCT ON (case_id) case_id, message_id, sender, subject, received_at,
               sender_verified, unverified_reason, {suggestion} AS suggestion
        FROM inbound_mail WHERE case_id = ANY($1::text[])
        ORDER BY case_id, received_at DESC, id DESC
        """,
        case_ids,
    )
    return {
        row["case_id"]: ReplySummary(
            message_id=row["message_id"],
            sender=row["sender"],
            subject=row["subject"],
            received_at=row["received_at"],
            sender_verified=row["sender_verified"],
            unverified_reason=row["unverified_reason"],
            suggestion=parse_suggestion(row["suggestion"]),
        )
        for row in rows
    }


def parse_suggestion(text: str | None) -> dict[str, Any] | None:
    """The reader's suggestion as {"outcome": ..., its date or message field, ...}, or None.

    Issue 19 stores its ReplySuggestion as JSON (reader, outcome, the four answer fields, most
    of them null, confidence, evidence, reason). Read leniently, without importing the
    reader: only a known outcome counts, null fields are dropped, and the op still records
    the answer through the case's validator.
    """
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    from domain.answers import Outcome

    outcome = data.get("outcome")
    if outcome not in {o.value for o in Outcome}:
        return None  # the reader's "no suggestion" (outcome null, with its reason) too
    return {key: value for key, value in data.items() if value is not None}


async def webhooks_gave_up(
    pool: asyncpg.Pool, filters: InboxFilter, now: datetime
) -> tuple[list[FailedDelivery], int]:
    older = now - timedelta(days=filters.older_than_days) if filters.older_than_days else now
    args = (now - WEBHOOK_WINDOW, filters.merchant_id, older)
    where = "gave_up_at >= $1 AND ($2::text IS NULL OR merchant_id = $2) AND started_at <= $3"
    rows, count = await asyncio.gather(
        pool.fetch(
            f"""
            SELECT event_id, merchant_id, event_type, case_id, started_at, gave_up_at, last_error
            FROM webhook_failures WHERE {where} ORDER BY gave_up_at, event_id
            LIMIT {LISTED_PER_SECTION}
            """,
            *args,
        ),
        pool.fetchval(f"SELECT count(*) FROM webhook_failures WHERE {where}", *args),
    )
    return [FailedDelivery(**dict(row)) for row in rows], int(count)


async def read_inbox(client: Client, pool: asyncpg.Pool, filters: InboxFilter) -> Inbox:
    now = datetime.now(UTC)
    sections = _sections(filters, now)
    (
        (triage, n_triage),
        (escalated, n_esc),
        (failed, n_failed),
        (hooks, n_hooks),
        suggests,
    ) = await asyncio.gather(
        _section(client, sections["triage"]),
        _section(client, sections["escalated"]),
        _section(client, sections["failed"]),
        webhooks_gave_up(pool, filters, now),
        has_suggestions(pool),
    )
    replies = await latest_replies(pool, [c.listing.case_id for c in triage], suggests)
    triage = [
        InboxCase(listing=c.listing, reference=c.reference, reply=replies.get(c.listing.case_id))
        for c in triage
    ]
    return Inbox(
        triage=triage,
        escalated=escalated,
        failed=failed,
        webhooks=hooks,
        counts={"triage": n_triage, "escalated": n_esc, "failed": n_failed, "webhooks": n_hooks},
    )
