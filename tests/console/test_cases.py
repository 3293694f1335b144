"""The inbox, the case page and the acts, through the console over HTTP with ops signed in
at the real provider; every act reaches the real case workflow."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from domain.case import CaseStatus
from domain.reply_token import case_reference
from ops.audit import case_timeline
from tests.console.pages import flash, form_token, post_form
from tests.console.stack import ConsoleStack

CUSTOMER = "astrid.lindqvist@example.org"


async def test_inbox_lists_triage_with_the_reply_and_filters(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    other = await stack.add_merchant()
    waiting = await stack.start(merchant)
    await stack.reply(
        waiting, merchant, subject="Re: cancellation", text="Done, cancelled.", message_id="r1@m"
    )
    await stack.start(other)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        page = await http.get("/", params={"merchant": merchant.merchant_id})
        assert page.status_code == 200
        assert f'<tr data-case="{waiting}">' in page.text
        assert case_reference(waiting) in page.text
        assert str(merchant.cancellation_emails[0]) in page.text and "verified" in page.text
        assert 'data-count="triage">1<' in page.text
        assert other.merchant_id not in page.text.split('id="triage"')[1].split("</table>")[0]
        older = await http.get(
            "/", params={"merchant": merchant.merchant_id, "older_than_days": "3"}
        )
        assert 'data-count="triage">0<' in older.text and waiting not in older.text
        bad = await http.get("/", params={"merchant": "x' OR 1=1", "older_than_days": "soon"})
        assert "Not a valid filter: merchant, older_than_days" in bad.text


async def test_find_by_reference_case_id_and_merchant(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        for text in (case_reference(case_id), case_reference(case_id).lower(), case_id):
            found = await http.get("/find", params={"q": text})
            assert found.status_code == 303, text
            assert found.headers["location"] == f"/cases/{case_id}"
        by_merchant = await http.get("/find", params={"q": merchant.merchant_id})
        assert by_merchant.headers["location"] == f"/?merchant={merchant.merchant_id}"
        nothing = await http.get("/find", params={"q": "CF-AAAAAAAA"})
        assert nothing.status_code == 200 and "Nothing found" in nothing.text


async def test_case_page_shows_the_audit_of_cases_audit(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        page = await http.get(f"/cases/{case_id}")
    assert page.status_code == 200
    timeline = await case_timeline(stack.client, case_id)
    assert len(timeline.entries) >= 3
    for entry in timeline.entries:
        assert f"<td>{html.escape(entry.summary, quote=False)}</td>" in page.text.replace(
            "&#39;", "'"
        ).replace("&#34;", '"'), entry.summary
    link = f"http://temporal-ui.test/namespaces/default/workflows/case-{case_id}"
    assert f'href="{link}"' in page.text
    assert "merchant_request" in page.text or "request" in page.text  # the email sent


async def test_agent_records_the_answer_from_the_reply(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await stack.reply(
        case_id, merchant, subject="Re: yours", text="Cancelled today.", message_id="a1@m"
    )
    access = (date.today() + timedelta(days=20)).isoformat()
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        page = await post_form(
            http,
            f"/cases/{case_id}/answer",
            {"choice": "has_now_been_cancelled", "access_until": access, "from_reply": "a1@m"},
            token_from=f"/cases/{case_id}",
        )
        assert flash(page) == "Answer recorded: has now been cancelled."
        state = await stack.wait_for(case_id, lambda s: s.customer_notified_at is not None)
        assert state.answer is not None and state.answer.channel == "email"
        assert state.answer.responded_by == (
            f"{merchant.cancellation_emails[0]} (recorded by ops:aron@ops.example)"
        )
        assert state.answer.reference == "a1@m"
        page = await http.get(f"/cases/{case_id}")
        assert "recorded by ops:aron@ops.example" in page.text
    timeline = await case_timeline(stack.client, case_id)
    assert any("ops:aron@ops.example" in e.actor for e in timeline.entries)


async def test_refusals_come_back_with_the_case_reason(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        at = f"/cases/{case_id}"
        past = (date.today() - timedelta(days=3)).isoformat()
        page = await post_form(
            http, f"{at}/snooze", {"until": past, "reason": "merchant asked"}, token_from=at
        )
        assert flash(page).startswith("The case refused:") and past in flash(page)
        page = await post_form(http, f"{at}/answer", {"choice": "could_not_be_cancelled"}, at)
        assert "choose what happened" in flash(page)
        page = await post_form(
            http,
            f"{at}/answer",
            {"choice": "was_already_cancelled", "cancelled_on": "2999-01-01"},
            at,
        )
        assert flash(page).startswith("The case refused the answer: cancelled_on:")
        page = await post_form(http, f"{at}/erase", {"reason": "asked"}, at)
        assert flash(page) == "Not erased: tick the box to confirm: erasure cannot be undone"
        soon = (date.today() + timedelta(days=7)).isoformat()
        page = await post_form(http, f"{at}/snooze", {"until": soon, "reason": "holiday"}, at)
        assert flash(page) == "Snoozed."
        state = await stack.state(case_id)
        assert (
            state.snoozed_until is not None
            and state.snooze_reason == "holiday (ops:aron@ops.example)"
        )
        page = await post_form(http, f"{at}/withdraw", {"reason": "customer changed mind"}, at)
        assert flash(page) == "Withdrawal recorded."
        state = await stack.wait_for(case_id, lambda s: s.status == CaseStatus.WITHDRAWN)
        page = await post_form(http, f"{at}/withdraw", {"reason": "again"}, at)
        assert flash(page).startswith("The case refused:")
    timeline = await case_timeline(stack.client, case_id)
    actors = {e.actor for e in timeline.entries}
    assert "ops:aron@ops.example" in actors
    assert "ops:aron@ops.example for the customer" in actors


async def test_a_viewer_is_refused_every_act(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await stack.reply(case_id, merchant, subject="Re", text="ok", message_id="v1@m")
    before = await stack.state(case_id)
    soon = (date.today() + timedelta(days=7)).isoformat()
    acts = {
        "answer": {"choice": "no_subscription_found", "from_reply": "v1@m"},
        "accept-suggestion": {"message_id": "v1@m"},
        "snooze": {"until": soon, "reason": "r"},
        "withdraw": {"reason": "r"},
        "resend": {"note": "n"},
        "erase": {"reason": "r", "confirm": "yes"},
    }
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        page = await http.get(f"/cases/{case_id}")
        assert 'data-testid="answer-form"' not in page.text
        assert "This needs the agent role." in page.text
        token = form_token(page)
        for act, data in acts.items():
            refused = await http.post(f"/cases/{case_id}/{act}", data={"csrf_token": token, **data})
            assert refused.status_code == 403, act
            assert "This needs the agent role." in refused.text
    after = await stack.state(case_id)
    assert after == before


async def test_forms_without_the_token_or_from_elsewhere_are_refused(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        token = form_token(await http.get("/"))
        data = {"reason": "r"}
        assert (await http.post(f"/cases/{case_id}/withdraw", data=data)).status_code == 403
        other = {"Origin": "http://evil.example"}
        sent = await http.post(
            f"/cases/{case_id}/withdraw", data={"csrf_token": token, **data}, headers=other
        )
        assert sent.status_code == 403
    assert (await stack.state(case_id)).status == CaseStatus.AWAITING


async def test_merchants_read_only_for_agents_editable_for_admins(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    at = f"/merchants/{merchant.merchant_id}"
    form: dict[str, Any] = {
        "identifier": ["email", "first_name"],
        "extra_identifiers": "customer_number",
        "contacts": "cancel@new.example",
        "locale": "sv",
        "timezone": "Europe/Helsinki",
        "notify_by": "email",
        "first_reminder_after": "2",
        "second_reminder_after": "5",
        "escalate_after": "9",
        "repeat_reminder_every": "7",
    }
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        page = await http.get(at)
        assert 'data-testid="merchant-form"' not in page.text
        refused = await http.post(at, data={"csrf_token": form_token(page), **form})
        assert refused.status_code == 403 and "This needs the admin role." in refused.text
    assert await stack.merchant(merchant.merchant_id) == merchant
    async with stack.http() as http:
        await stack.sign_in("ada", http)
        page = await post_form(http, at, form, token_from=at)
        assert flash(page).startswith("Saved")
        assert "ops:ada@ops.example" in page.text.split('data-testid="changes"')[1]
        bad = await post_form(http, at, {**form, "escalate_after": "1"}, token_from=at)
        assert bad.status_code == 422 and "first_reminder_after &lt; second" in bad.text
    changed = await stack.merchant(merchant.merchant_id)
    assert changed is not None and changed.locale == "sv" and changed.timezone == "Europe/Helsinki"
    assert changed.response_policy.escalate_after == 9
    assert changed.required_identifiers == ["email", "first_name", "customer_number"]


async def test_hostile_text_is_shown_as_text(stack: ConsoleStack) -> None:
    script = "<script>document.title='pwned'</script>"
    merchant = await stack.add_merchant(display_name=f"Evil {script}")
    case_id = await stack.start(merchant)
    await stack.reply(
        case_id,
        merchant,
        subject='Re: <img src=x onerror="alert(1)">',
        text=f"Cancelled {script} <b>bold</b>",
        message_id='x"><script>alert(2)</script>@m',
    )
    async with stack.http() as http:
        await stack.sign_in("ada", http)
        pages = [
            await http.get("/"),
            await http.get(f"/cases/{quote(case_id)}"),
            await http.get(f"/merchants/{merchant.merchant_id}"),
            await http.get("/merchants"),
        ]
    for page in pages:
        assert page.status_code == 200
        assert "<script" not in page.text and "<img" not in page.text and "<b>" not in page.text
    case_page = pages[1].text
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in case_page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in case_page
    assert "x&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;@m" in case_page
    assert pages[0].headers["content-security-policy"].startswith("default-src 'none'")


async def test_accepting_the_reply_readers_suggestion(stack: ConsoleStack) -> None:
    """The reader (issue 19) stores its suggestion beside the reply; until its migration lands
    the column is added here as that issue describes it (jsonb: the outcome and its fields)."""
    await stack.pool.execute("ALTER TABLE inbound_mail ADD COLUMN IF NOT EXISTS suggestion jsonb")
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    await stack.reply(
        case_id, merchant, subject="Re", text="Binding until June.", message_id="s1@m"
    )
    ends = (date.today() + timedelta(days=200)).isoformat()
    await stack.pool.execute(
        "UPDATE inbound_mail SET suggestion = $2::jsonb WHERE case_id = $1",
        case_id,
        # ReplySuggestion.model_dump_json() of issue 19: every field, the unused ones null.
        '{"reader": "rules-1", "outcome": "binding_contract", "access_until": null, '
        f'"cancelled_on": null, "contract_ends_on": "{ends}", "message": null, '
        '"confidence": 0.9, "evidence": ["<b>bound</b> until June"], "reason": null}',
    )
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        inbox = await http.get("/", params={"merchant": merchant.merchant_id})
        row = inbox.text.split(f'<tr data-case="{case_id}">')[1].split("</tr>")[0]
        assert "binding contract" in row
        at = f"/cases/{case_id}"
        shown = await http.get(at)
        assert (
            "&lt;b&gt;bound&lt;/b&gt; until June" in shown.text and "confidence 0.9" in shown.text
        )
        page = await post_form(http, f"{at}/accept-suggestion", {"message_id": "s1@m"}, at)
        assert flash(page) == "Answer recorded: binding contract."
    state = await stack.state(case_id)
    assert state.answer is not None and state.answer.outcome == "binding_contract"
    assert str(state.answer.contract_ends_on) == ends  # type: ignore[union-attr]
    assert state.answer.responded_by.endswith("(recorded by ops:aron@ops.example)")


async def test_a_long_section_lists_its_oldest_cases_and_counts_them_all(
    stack: ConsoleStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import console.inbox

    merchant = await stack.add_merchant()
    older = await stack.start(merchant)
    newer = await stack.start(merchant)
    for case_id, message_id in ((newer, "n@m"), (older, "o@m")):
        await stack.reply(case_id, merchant, subject="Re", text="ok", message_id=message_id)
    monkeypatch.setattr(console.inbox, "LISTED_PER_SECTION", 1)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        page = await http.get("/", params={"merchant": merchant.merchant_id})
        assert 'data-count="triage">2<' in page.text
        assert f'<tr data-case="{older}">' in page.text and newer not in page.text
        monkeypatch.setattr(console.inbox, "SCANNED_PER_SECTION", 1)  # counted by visibility
        page = await http.get("/", params={"merchant": merchant.merchant_id})
        assert 'data-count="triage">2<' in page.text


async def test_pages_in_swedish(stack: ConsoleStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("aron", http)
        inbox = await http.get("/", params={"lang": "sv"})
        assert '<html lang="sv">' in inbox.text and "Väntar på granskning" in inbox.text
        page = await http.get(f"/cases/{case_id}")  # the choice is kept in a cookie
        assert "Registrera svaret" in page.text and "har nu sagts upp" in page.text
        assert "väntar på handlaren" in page.text
        english = await http.get("/", params={"lang": "en"})
        assert "Waiting for triage" in english.text


async def test_failed_cases_and_webhooks_that_gave_up(stack: ConsoleStack) -> None:
    import uuid
    from datetime import UTC, datetime

    from cases.client import start_case
    from domain.request import CancellationRequest
    from storage.webhooks import FailedDelivery, WebhookFailures
    from tests.helpers.portal import request_body

    ghost = f"m-ghost-{uuid.uuid4().hex[:8]}"  # in no directory: the case fails at its start
    case_id = f"c-failed-{uuid.uuid4().hex[:10]}"
    request = CancellationRequest.model_validate(request_body(case_id, ghost))
    await start_case(stack.client, request, stack.settings.temporal.task_queue)
    await stack.wait_for(case_id, lambda s: s.status == CaseStatus.FAILED)
    now = datetime.now(UTC)
    await WebhookFailures(stack.pool).record(
        FailedDelivery(
            event_id=f"evt_{case_id}_requested_1_1",
            merchant_id=ghost,
            event_type="cancellation.requested",
            case_id=case_id,
            started_at=now - timedelta(hours=25),
            gave_up_at=now,
            last_error="HTTP 500 from <https://hooks.example/x>",
        )
    )
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        page = await http.get("/", params={"merchant": ghost})
    assert 'data-count="failed">1<' in page.text and 'data-count="webhooks">1<' in page.text
    failed = page.text.split('id="failed"')[1].split("</table>")[0]
    assert f'<tr data-case="{case_id}">' in failed
    hooks = page.text.split('id="webhooks"')[1]
    assert (
        "cancellation.requested" in hooks
        and "HTTP 500 from &lt;https://hooks.example/x&gt;" in hooks
    )


async def test_an_erased_case_shows_what_cases_audit_shows(stack: ConsoleStack) -> None:
    from cases.erasure import erase_case
    from domain.erasure import ErasureRequest

    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)
    async with stack.http() as http:
        await stack.sign_in("vera", http)
        before = await http.get(f"/cases/{case_id}")  # read into the console's cache
        assert before.status_code == 200 and "personal_data_erased" not in before.text
        request = ErasureRequest(reason="customer asked", requested_by="ops:test")
        await erase_case(stack.client, case_id, request, stack.settings.temporal.task_queue)
        page = await http.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "<td>personal_data_erased</td>" in page.text
    assert "personal data erased (request): customer asked" in page.text
    assert CUSTOMER not in page.text
