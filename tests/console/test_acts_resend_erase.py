"""Resending the merchant request and erasing a case from the console, over HTTP with ops
signed in at the real provider, on the real stack (Temporal dev server, worker, PostgreSQL,
SMTP sink): each act reaches the case through cases/client.py or cases/erasure.py."""

from __future__ import annotations

import html
import json
from email.message import EmailMessage

import httpx

from domain.case import CaseStatus
from ops.audit import case_timeline
from storage.erasures import ErasureStore
from tests.console.pages import flash, post_form
from tests.console.stack import ConsoleStack
from tests.eventually import eventually
from tests.helpers.emails import text_of
from workers.mail_sink import kind_of


def said(page: httpx.Response) -> str:
    """The flash line as the op reads it (the page escapes its apostrophes)."""
    return html.unescape(flash(page))


def _requests(stack: ConsoleStack, case_id: str) -> dict[str, EmailMessage]:
    """The case's merchant request emails in the sink, by kind (request, request-resend-1…)."""
    found = {}
    for message in stack.sink.messages:
        message_id = str(message.get("Message-ID", ""))
        if message_id.startswith(f"<{case_id}.") and kind_of(message_id).startswith("request"):
            found[kind_of(message_id)] = message
    return found


async def test_an_agent_resends_the_request_and_the_audit_names_them(
    stack: ConsoleStack,
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await eventually(lambda: "request" in _requests(stack, case_id), what="the request email")
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        at = f"/cases/{case_id}"
        page = await post_form(http, f"{at}/resend", {"note": "they never got it"}, at)
        assert said(page) == "The merchant request is sent again."
        assert 'data-testid="requests-resent">1<' in page.text
        assert "merchant_email_resent" in page.text and "ops:aron@ops.example" in page.text

    sent = await eventually(
        lambda: _requests(stack, case_id),
        lambda found: "request-resend-1" in found,
        what="the resent request email",
    )
    first, again = sent["request"], sent["request-resend-1"]
    # The same email to the same address: the identifiers this merchant is configured for.
    assert again["To"] == first["To"] == str(merchant.cancellation_emails[0])
    assert again["Subject"] == first["Subject"]
    assert text_of(again) == text_of(first)
    for identifier in ("astrid.lindqvist@example.org", "Astrid", "Lindqvist", "CN-998877"):
        assert identifier in text_of(again)
    for not_configured in ("9876", "Hemligvägen"):
        assert not_configured not in text_of(again)
    assert again["Message-ID"] != first["Message-ID"]

    state = await stack.state(case_id)
    assert state.requests_resent == 1 and state.status == CaseStatus.AWAITING
    assert [e.kind for e in state.emails] == ["request", "request-resend-1"]
    timeline = await case_timeline(stack.client, case_id)
    [asked] = [e for e in timeline.entries if e.kind == "resend_requested"]
    assert asked.actor == "ops:aron@ops.example"
    assert asked.details == {"note": "they never got it"}
    assert [e.kind for e in timeline.entries if e.kind.startswith("merchant_email")] == [
        "merchant_email_sent",
        "merchant_email_resent",
    ]


async def test_a_closed_case_refuses_the_resend_with_its_reason(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("ada", http)  # an admin acts as an agent does
        at = f"/cases/{case_id}"
        page = await post_form(http, f"{at}/withdraw", {"reason": "changed their mind"}, at)
        assert said(page) == "Withdrawal recorded."
        await stack.wait_for(case_id, lambda s: s.status == CaseStatus.WITHDRAWN)
        page = await post_form(http, f"{at}/resend", {}, at)
        assert said(page) == (
            "The case refused: the case is withdrawn; there is no request to send again"
        )
        http.headers["Accept-Language"] = "sv"
        page = await post_form(http, f"{at}/resend", {}, at)
        assert said(page).startswith("Ärendet nekade: the case is withdrawn")
    assert "request-resend-1" not in _requests(stack, case_id)
    assert (await stack.state(case_id)).requests_resent == 0


async def test_an_agent_erases_a_case_after_confirming_with_a_reason(
    stack: ConsoleStack,
) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    store = ErasureStore(stack.pool)
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        at = f"/cases/{case_id}"
        page = await post_form(http, f"{at}/resend", {"note": "Astrid called twice"}, at)
        assert said(page) == "The merchant request is sent again."
        page = await post_form(http, f"{at}/erase", {"reason": "customer asked (GDPR 17)"}, at)
        assert said(page) == ("Not erased: tick the box to confirm: erasure cannot be undone")
        page = await post_form(http, f"{at}/erase", {"reason": "  ", "confirm": "yes"}, at)
        assert said(page).startswith("Not erased: reason:")
        assert await store.get(case_id) is None
        assert (await stack.state(case_id)).status == CaseStatus.AWAITING

        asked = {"reason": "customer asked (GDPR 17)", "confirm": "yes"}
        page = await post_form(http, f"{at}/erase", asked, at)
        assert page.status_code == 200
        record = await store.get(case_id)
        assert record is not None
        on = record.erased_at.date().isoformat()
        assert said(page) == (
            "The case was withdrawn first (the merchant was told to disregard it), then the "
            f"customer's personal data was erased on {on}."
        )
        assert record.erased_by == "ops:aron@ops.example"
        assert record.reason == "customer asked (GDPR 17)" and record.withdrawn
        # What the case still shows: the resend, without the op's address or the note.
        kept = json.dumps(record.remains)
        assert "resend_requested" in kept
        assert "Astrid called twice" not in kept and "aron@ops.example" not in kept

        # Asked again: acknowledged with the first erasure, not an error.
        page = await post_form(http, f"{at}/erase", {**asked, "reason": "again"}, at)
        assert page.status_code == 200
        assert said(page) == f"Already erased on {on} by ops:aron@ops.example; nothing more to do."
        page = await post_form(http, f"{at}/resend", {}, at)
        assert said(page) == f"The case refused: its personal data was erased on {on}"


async def test_a_viewer_may_neither_resend_nor_erase(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        at = f"/cases/{case_id}"
        page = await http.get(at)
        assert 'data-testid="resend-form"' not in page.text
        assert 'data-testid="erase-form"' not in page.text
        for act, data in (
            ("resend", {"note": "n"}),
            ("erase", {"reason": "r", "confirm": "yes"}),
        ):
            refused = await post_form(http, f"{at}/{act}", data, at)
            assert refused.status_code == 403, act
            assert "This needs the agent role." in refused.text
    assert await ErasureStore(stack.pool).get(case_id) is None
    state = await stack.state(case_id)
    assert state.requests_resent == 0 and state.status == CaseStatus.AWAITING
