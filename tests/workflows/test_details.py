"""The Temporal UI details: outside text shows as written, never as a link, image or HTML."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from markdown_it import MarkdownIt

from domain.actions import EmailReplyNotice
from domain.answers import Outcome, parse_answer
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.replies.note import ReplySuggestion
from domain.reply_token import case_reference
from workflows.details import current_details, escape_markdown

WJ = "\u2060"

HOSTILE = [
    "<[x](https://evil.example)>",
    "![img](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "https://evil.example/phish",
    "www.evil.example",
    "ops@evil.example",
    "`code` **bold** _em_ ~~gone~~ | a | b |",
    "line\n# Heading\n> quote\r\n- item",
    "[ref]: https://evil.example",
    "&lt;b&gt;",
]


def render(text: str) -> str:
    # CommonMark with GFM-like linkify: the strictest reading of what a UI might render.
    html: str = MarkdownIt("commonmark", {"linkify": True}).enable("linkify").render(text)
    return html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_one_plain_paragraph(text: str) -> None:
    html = render(escape_markdown(text))
    assert re.fullmatch(r"<p>[^<]*</p>\n", html), html
    for tag in ("<a", "<img", "<script", "<h1", "<blockquote", "<code", "<strong", "<em"):
        assert tag not in html


@pytest.mark.parametrize("text", HOSTILE)
def test_what_is_shown_is_the_text_as_written(text: str) -> None:
    import html as html_lib

    shown = html_lib.unescape(render(escape_markdown(text))[3:-5]).replace(WJ, "")
    expected = re.sub(r"[\r\n]", lambda m: f"\\x{ord(m.group()):02x}", text)
    assert shown == expected


def test_control_and_bidi_characters_are_shown_escaped() -> None:
    assert escape_markdown("a\x1b[31mb\u202ec") == "a\\\\x1b\\[31mb\\\\x202ec"


def _awaiting_triage(
    message_id: str, subject: str, suggestion: ReplySuggestion | None = None, **fields: Any
) -> CaseState:
    """Case c-1 of acme, one email reply from Kim waiting for ops to read it."""
    reply = EmailReplyNotice(
        message_id=message_id,
        sender="kim@acme.example",
        subject=subject,
        received_at=datetime(2026, 3, 2, tzinfo=UTC),
        suggestion=suggestion,
    )
    return CaseState(
        case_id="c-1",
        merchant_id="acme",
        status=CaseStatus.NEEDS_TRIAGE,
        requested_at=datetime(2026, 3, 1, tzinfo=UTC),
        email_replies=[reply],
        **fields,
    )


def test_the_current_details_escape_the_email_reply_and_snooze_reason() -> None:
    state = _awaiting_triage(
        "<[x](https://evil.example)>",
        "![x](https://evil.example/i.png)",
        snoozed_until=datetime(2026, 3, 9, 8, tzinfo=UTC),
        snooze_reason="<b>holiday</b> (ops)",
    )
    text = current_details(state, "an email reply awaits ops triage", None)
    html = render(text)
    assert "<a" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;[x](https:/" in html.replace(WJ, "")
    assert text.split("\n\n")[0] == (
        f"**Case** {case_reference('c-1')}, c-1 (round 1), merchant acme"
    )
    assert "**Next** an email reply awaits ops triage" in text
    assert date(2026, 3, 9).isoformat() in text


def test_the_current_details_show_the_readers_suggestion_escaped() -> None:
    def details(suggestion: ReplySuggestion) -> str:
        state = _awaiting_triage("m-1@acme.example", "Re: cancel", suggestion)
        return current_details(state, "an email reply awaits ops triage", None)

    suggested = details(
        ReplySuggestion(
            reader="r v1",
            outcome=Outcome.HAS_NOW_BEEN_CANCELLED,
            access_until=date(2026, 3, 31),
            confidence=0.92,
            evidence=("Kim Larsson's plan is cancelled, access until 31 March.",),
        )
    )
    assert "**Reader suggests** has\\_now\\_been\\_cancelled access\\_until 2026-03-31" in suggested
    assert "Larsson" not in suggested  # the evidence stays out of Temporal's details
    none = details(ReplySuggestion(reader="r v1", reason="an automatic reply (X: <img src=x>)"))
    html = render(none)
    assert "<img" not in html and "no suggestion: an automatic reply" in html


def test_the_details_lead_with_reference_merchant_status_outcome_and_local_minutes() -> None:
    merchant = Merchant.model_validate(
        {
            "merchant_id": "fitgym",
            "display_name": "FitGym *UK*",
            "cancellation_emails": ["desk@fitgym.example"],
            "required_identifiers": ["email"],
            "timezone": "Europe/London",
        }
    )
    state = CaseState(
        case_id="c-2",
        merchant_id="fitgym",
        status=CaseStatus.FOLLOW_UP,
        requested_at=datetime(2026, 7, 1, 8, 30, 12, 345678, tzinfo=UTC),
        answer=parse_answer(
            {
                "outcome": "no_subscription_found",
                "answered_at": "2026-07-02T10:00:00Z",
                "channel": "portal",
                "responded_by": "desk",
            }
        ),
    )
    due = datetime(2026, 7, 16, 10, 0, 59, 999, tzinfo=UTC)
    text = current_details(state, "corrected details from the customer", due, merchant)
    first, status, requested = text.split("\n\n")[:3]
    assert (
        first
        == f"**Case** {case_reference('c-2')}, c-2 (round 1), merchant FitGym \\*UK\\* (fitgym)"
    )
    assert status == "**Status** follow_up, **Outcome** no_subscription_found"
    # London is an hour ahead of UTC in July; no seconds, no microseconds.
    assert requested == "**Requested** 2026-07-01 09:30 Europe/London"
    assert text.endswith("at 2026-07-16 11:00 Europe/London")
    assert "345678" not in text and "+00:00" not in text
