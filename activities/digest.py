"""The daily ops digest: read open cases from Temporal visibility, email the summary to ops.

Activities do not import the workflows: the listing of open cases is handed in by the
worker's wiring (cases.client.open_cases, bound to its client).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from temporalio import activity

from activities import contracts
from activities.config import EmailSettings
from activities.ops_mail import send_to_ops_once
from activities.smtp import SmtpSender
from domain.case import CaseStatus
from domain.digest import DigestReport, OpenCase, archive_lag_line
from domain.replies.note import ReplySuggestion
from domain.reply_token import case_reference
from storage.archive_source import ArchiveLag
from storage.outbox import Outbox, OutboxEntry
from storage.webhooks import FailedDelivery

log = structlog.get_logger()

OpenCaseSource = Callable[[str], AsyncIterator[OpenCase]]
"""Running cases in an open status, of the given workflow type, from Temporal visibility."""

FailedWebhookSource = Callable[[datetime, datetime], Awaitable[list[FailedDelivery]]]
"""Webhook deliveries that gave up in [since, until)."""

FAILED_WEBHOOKS_WINDOW = timedelta(days=1)

TriageSuggestionSource = Callable[[str], Awaitable[ReplySuggestion | None]]
"""The reader's suggestion for a case's latest email reply (None: no stored reply)."""


class DigestActivities:
    def __init__(
        self,
        open_cases: OpenCaseSource,
        sender: SmtpSender,
        email: EmailSettings,
        outbox: Outbox,
        archive_lag: Callable[[], Awaitable[ArchiveLag]] | None = None,
        failed_webhooks: FailedWebhookSource | None = None,
        triage_suggestions: TriageSuggestionSource | None = None,
    ) -> None:
        self._triage_suggestions = triage_suggestions
        self._failed_webhooks = failed_webhooks
        self._archive_lag = archive_lag
        self._open_cases = open_cases
        self._sender = sender
        self._email = email
        self._outbox = outbox

    @activity.defn(name=contracts.COLLECT_OPEN_CASES)
    async def collect_open_cases(self, input: contracts.CollectOpenCasesInput) -> list[OpenCase]:
        """Open cases from visibility (search attributes), not from a copy of our own."""
        cases: list[OpenCase] = []
        async for case in self._open_cases(input.workflow_type):
            cases.append(case)
            activity.heartbeat(len(cases))
        return cases

    @activity.defn(name=contracts.SEND_OPS_DIGEST)
    async def send_ops_digest(self, input: contracts.OpsDigestInput) -> contracts.EmailSent:
        day = input.digest_date.isoformat()
        message_id = f"<ops-digest.{day}@{self._email.message_id_domain}>"
        subject = f"cancelflow daily digest {day}: {input.report.open_total} open cases"
        entry = OutboxEntry(
            case_id=f"ops-digest-{day}",
            round=1,
            kind="ops-digest",
            message_id=message_id,
            recipient=self._email.ops_address,
            subject=subject,
        )

        async def text() -> str:
            return render_digest(
                input.report,
                await self._archive_line(),
                await self._failed(input.report),
                await self._suggestions(input.report),
            )

        sent = await send_to_ops_once(self._outbox, self._sender, self._email, entry, text)
        log.info("ops_digest.sent", digest_date=day, open_total=input.report.open_total)
        return sent

    async def _failed(self, report: DigestReport) -> list[FailedDelivery] | None:
        """The day's given-up webhook deliveries, up to the report's time."""
        if self._failed_webhooks is None:
            return None
        until = report.generated_at
        return await self._failed_webhooks(until - FAILED_WEBHOOKS_WINDOW, until)

    async def _suggestions(self, report: DigestReport) -> dict[str, str]:
        """case id -> the reader's line for its reply; a failure leaves the line out."""
        if self._triage_suggestions is None:
            return {}
        lines = {}
        for case in report.needs_triage:
            try:
                note = await self._triage_suggestions(case.case_id)
            except Exception as err:  # noqa: BLE001 - the digest goes out regardless
                lines[case.case_id] = f"reader: not available ({type(err).__name__})"
                continue
            if note is not None:
                lines[case.case_id] = triage_line(case.case_id, note)
        return lines

    async def _archive_line(self) -> str | None:
        """The archive lag at sending time; a failure to measure it is said, not fatal."""
        if self._archive_lag is None:
            return None
        try:
            lag = await self._archive_lag()
        except Exception as err:  # noqa: BLE001 - the digest goes out regardless
            return f"Archive lag: could not be measured ({type(err).__name__})"
        return archive_lag_line(lag.lag.total_seconds(), lag.unarchived_runs)


def triage_line(case_id: str, note: ReplySuggestion) -> str:
    """The reader's suggestion on one line of plain text (no evidence: the merchant's words
    stay in `cancelflow cases show`), with the command that records it."""
    line = "reader: " + plain_text(note.describe())
    if note.outcome is not None:
        line += f"; to record it: cancelflow triage accept {case_id}"
    return line


def plain_text(text: str) -> str:
    # The ops email is plain text; a reason may quote a header, so no line breaks or controls.
    return "".join(c if c.isprintable() else " " for c in text)[:300]


def render_digest(
    report: DigestReport,
    archive_line: str | None = None,
    failed_webhooks: list[FailedDelivery] | None = None,
    triage_lines: dict[str, str] | None = None,
) -> str:
    lines = [
        f"Open cases: {report.open_total} (at {report.generated_at.isoformat(timespec='minutes')})",
        "",
        "By merchant:",
        *(f"  {merchant}: {count}" for merchant, count in report.by_merchant.items()),
        "",
        "By age:",
        *(f"  {label}: {count}" for label, count in report.by_age.items()),
    ]
    for title, cases in (
        ("Escalated", report.escalated),
        ("Overdue (reminded, not yet escalated)", report.overdue),
        ("Email replies awaiting triage", report.needs_triage),
    ):
        lines += ["", f"{title}: {len(cases)}"]
        for c in cases:
            lines.append(
                f"  {c.case_id}  {case_reference(c.case_id)}  {c.merchant_id}  {c.status.value}  "
                f"since {c.requested_at.date().isoformat()}  round {c.round}"
            )
            if c.status is CaseStatus.NEEDS_TRIAGE and c.case_id in (triage_lines or {}):
                lines.append(f"      {(triage_lines or {})[c.case_id]}")
    if failed_webhooks is not None:
        lines += ["", f"Webhook deliveries given up in the last 24 h: {len(failed_webhooks)}"]
        lines += [
            f"  {f.event_id}  {f.merchant_id}  {f.event_type}  case {f.case_id}  gave up "
            f"{f.gave_up_at.isoformat(timespec='minutes')}"
            for f in failed_webhooks
        ]
    if archive_line:
        lines += ["", archive_line]
    lines += [
        "",
        "Details: cancelflow cases show CASE_ID (or its CF- reference), or the Temporal UI.",
    ]
    return "\n".join(lines) + "\n"
