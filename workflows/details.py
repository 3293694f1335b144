"""The case's current details as the Temporal UI shows them (Temporal markdown).

Pure text: no Temporal import, so it is unit-tested on its own. The case's reference, status
and outcome lead it: the UI's summary is fixed at the start and cannot show them.
Everything that comes from outside (a Message-ID or subject of an email reply, a snooze
reason, ids) is escaped so that it renders as the characters it is, never as a link, an
image, HTML or a heading.
"""

from __future__ import annotations

import re
from datetime import datetime

from domain.case import CaseState, CaseStatus
from domain.local_time import local_minute
from domain.merchant import Merchant
from domain.reply_token import case_reference

# Markdown and HTML metacharacters; each is shown literally when preceded by a backslash
# (CommonMark allows a backslash before any ASCII punctuation).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&\"])")
# Control characters (newlines included) would start a new block: a heading, a list, a
# quote. Unicode line separators and bidi controls reorder or split what ops read.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# GFM turns bare URLs, www. names and e-mail addresses into links even without brackets;
# a word joiner (invisible) inside the trigger keeps them plain text.
_WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGERS = re.compile(r"(:)(//)|(www)(\.)|(@)", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """Outside text made inert for the Temporal UI's markdown: shown as written."""
    visible = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", visible)
    return _AUTOLINK_TRIGGERS.sub(_break_autolink, escaped)


def _break_autolink(match: re.Match[str]) -> str:
    if match.group(5):
        return "@" + _WORD_JOINER
    head = match.group(1) or match.group(3)
    tail = match.group(2) or match.group(4)
    return head + _WORD_JOINER + tail


def current_details(
    state: CaseState,
    waiting_for: str,
    due_at: datetime | None,
    merchant: Merchant | None = None,
) -> str:
    """Where the case stands and what comes next, one paragraph per line.

    With the merchant: its name beside its id, and every date on its clock to the minute
    (without it, as recorded, in UTC).
    """
    e = escape_markdown

    def when(at: datetime) -> str:
        return local_minute(at, merchant.timezone if merchant else "UTC")

    who = e(state.merchant_id)
    if merchant is not None:
        who = f"{e(merchant.display_name)} ({who})"
    status = f"**Status** {state.status.value}" + (" (escalated)" if state.escalated else "")
    if state.outcome is not None:
        status += f", **Outcome** {state.outcome.value}"
    lines = [
        f"**Case** {case_reference(state.case_id)}, {e(state.case_id)} (round {state.round}), "
        f"merchant {who}",
        status,
        f"**Requested** {when(state.requested_at)}",
    ]
    if state.answer is None and state.status is not CaseStatus.CLOSED:
        lines.append(f"**Waiting for** merchant answer, reminders sent: {state.reminders_sent}")
    if state.email_replies:
        last = state.email_replies[-1]
        lines.append(f"**Email reply** {e(last.message_id)} received {when(last.received_at)}")
        if last.suggestion is not None:
            # Outcome, date and confidence only: the evidence (the merchant's words) stays in
            # `cancelflow cases show`; a reason may quote a header, so it is escaped too.
            lines.append(f"**Reader suggests** {e(last.suggestion.describe())}")
    if state.snoozed_until:
        lines.append(
            f"**Snoozed until** {when(state.snoozed_until)}: {e(state.snooze_reason or '')}"
        )
    lines.append(f"**Next** {e(waiting_for)}" + (f" at {when(due_at)}" if due_at else ""))
    return "\n\n".join(lines)
