"""The merchant request email says by when an answer is expected, uses the form's labels,
keeps the reference in one piece and says where the settings are (issue 18 #6); ops emails
link to the case and give times on the merchant's clock (issue 18 #5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from activities import contracts
from activities.config import EmailSettings
from activities.digest import render_digest
from activities.email import EmailActivities
from activities.webhook_failures import render_failure
from domain.case import CaseStatus
from domain.digest import DigestReport, OpenCase
from domain.reply_token import case_reference
from portal.i18n import MESSAGES as FORM_WORDS
from storage.webhooks import FailedDelivery
from tests.helpers.emails import (
    CASE_ID,
    PORTAL_BASE_URL,
    html_of,
    merchant_input,
    run,
    text_of,
    visible_html,
)
from workers.mail_sink import MailSink

REFERENCE = case_reference(CASE_ID)
# Thursday 5 March 2026, 23:30 UTC: already Friday 6 March in Stockholm.
DUE = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
ANSWER_BY = {"en": "Please answer by: 6 March 2026", "sv": "Svara senast: 6 mars 2026"}


@pytest.mark.parametrize("locale", ["en", "sv"])
async def test_the_request_gives_the_answer_date_the_forms_labels_and_the_settings(
    email_activities: EmailActivities, mail_sink: MailSink, locale: str
) -> None:
    email = merchant_input(locale=locale).model_copy(update={"answer_expected_by": DUE})
    await run(email_activities.send_merchant_request, email)
    [message] = mail_sink.messages
    text, html = text_of(message), html_of(message)
    # The date on the merchant's calendar, not UTC's.
    assert ANSWER_BY[locale] in text
    assert ANSWER_BY[locale].replace(": ", "") in visible_html(message).replace("\n", "")
    # The same words as the reply form's labels and its heading above the identifiers.
    for key in ("reference", "subscription", "account_reference", "requested_on"):
        assert f"\n{FORM_WORDS[locale][key]}: " in text, key
    heading = FORM_WORDS[locale]["customer_heading"]
    assert f"{heading}:" in text and f"<strong>{heading}</strong>" in html
    assert "The customer's details" not in text and "Kundens uppgifter" not in text
    # The reference never breaks at its hyphen in the HTML; in the text it is one word.
    assert f'<strong style="white-space:nowrap">{REFERENCE}</strong>' in html
    assert re.search(rf"(^|\s){re.escape(REFERENCE)}(\s|$)", text, re.MULTILINE)
    assert f"{PORTAL_BASE_URL}/merchant/sign-in?lang={locale}" in text
    assert f'href="{PORTAL_BASE_URL}/merchant/sign-in?lang={locale}"' in html


async def test_a_reminder_gives_the_next_date_and_an_email_without_one_leaves_it_out(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    reminder = merchant_input(
        kind=contracts.MerchantEmailKind.REMINDER, reminder_number=1
    ).model_copy(update={"answer_expected_by": DUE})
    await run(email_activities.send_merchant_reminder, reminder)
    await run(email_activities.send_merchant_request, merchant_input())
    first, second = mail_sink.messages
    assert ANSWER_BY["en"] in text_of(first)
    # "We will remind you" belongs to the request only: after reminder 2 comes escalation.
    assert "we will remind you" not in text_of(first)
    assert "Please answer by" not in text_of(second)


async def test_the_ops_email_links_to_the_case_with_times_on_the_merchants_clock(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    await run(
        email_activities.notify_ops,
        contracts.OpsNotificationInput(
            case_id=CASE_ID,
            round=1,
            kind=contracts.OpsNotificationKind.ESCALATION,
            merchant_id="streamio",
            merchant_display_name="Streamio AB",
            waiting_since=datetime(2026, 7, 1, 6, 59, 30, 123456, tzinfo=UTC),
            merchant_timezone="Europe/Stockholm",
            business_days_waited=10,
        ),
    )
    [message] = mail_sink.messages
    text, html = text_of(message), html_of(message)
    link = f"http://localhost:8233/namespaces/default/workflows/case-{CASE_ID}"
    assert f"Open the case: {link}" in text and f'href="{link}"' in html
    assert f"cancelflow cases show {REFERENCE}" in text
    assert "Waiting since: 2026-07-01 08:59 Europe/Stockholm" in text
    assert "123456" not in text and "+00:00" not in text


def test_the_webhook_failure_email_links_to_the_case_and_names_its_reference() -> None:
    failure = FailedDelivery(
        event_id="evt_1",
        merchant_id="streamio",
        event_type="cancellation.requested",
        case_id=CASE_ID,
        started_at=datetime(2026, 7, 1, 6, 59, 30, 123456, tzinfo=UTC),
        gave_up_at=datetime(2026, 7, 4, 7, 0, 1, tzinfo=UTC),
        last_error="endpoint answered HTTP 503",
    )
    text = render_failure(failure, EmailSettings().ops_case_link)
    assert f"Case:        {CASE_ID} ({REFERENCE})" in text
    assert (
        f"Open the case: http://localhost:8233/namespaces/default/workflows/case-{CASE_ID}" in text
    )
    assert "First tried: 2026-07-01 06:59 UTC" in text and "123456" not in text


def test_the_digest_names_each_listed_cases_reference() -> None:
    waiting = OpenCase(
        case_id=CASE_ID,
        merchant_id="streamio",
        status=CaseStatus.ESCALATED,
        escalated=True,
        requested_at=datetime(2026, 7, 1, 6, 59, tzinfo=UTC),
        round=1,
    )
    report = DigestReport(
        generated_at=datetime(2026, 7, 20, 7, tzinfo=UTC),
        open_total=1,
        by_merchant={"streamio": 1},
        by_age={"over 14 days": 1},
        overdue=[],
        escalated=[waiting],
        needs_triage=[],
    )
    assert f"  {CASE_ID}  {REFERENCE}  streamio  escalated" in render_digest(report)
