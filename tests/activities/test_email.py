"""The email activities against real PostgreSQL (outbox) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import aiosmtplib
import asyncpg
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from domain.answers import OtherReason
from domain.common import Channel
from domain.customer_outcome import CustomerOutcome, CustomerOutcomeKind, customer_outcome_for
from domain.reply_token import ReplyTokenSigner, case_reference
from domain.request import IdentifierLine
from storage.outbox import Outbox
from tests.helpers.emails import (
    ALL_IDENTIFIER_VALUES,
    CASE_ID,
    PORTAL_BASE_URL,
    REQUESTED_AT,
    customer_input,
    everything_in,
    full_request,
    html_of,
    merchant_input,
    run,
    text_of,
    visible_html,
)
from tests.helpers.servers import free_port
from workers.mail_sink import MailFolderHandler, MailSink

REFERENCE = case_reference(CASE_ID)


# --- merchant emails --------------------------------------------------------------------------

REQUEST_EXPECTATIONS = {
    "en": {
        "subject": f"Cancellation request {REFERENCE}: Streamio Premium",
        "phrases": [
            "Reply to cancellation request",
            "Requested on: 3 March 2026",
            "Replying by email also works",
            "Last name: Lindqvist",
        ],
    },
    "sv": {
        "subject": f"Uppsägningsbegäran {REFERENCE}: Streamio Premium",
        "phrases": [
            "Svara på uppsägningsbegäran",
            "Begärd den: 3 mars 2026",
            "Det går också bra att svara via e-post",
            "Efternamn: Lindqvist",
        ],
    },
}


@pytest.mark.parametrize("locale", ["en", "sv"])
async def test_merchant_request_arrives_in_the_merchants_language(
    email_activities: EmailActivities,
    mail_sink: MailSink,
    signer: ReplyTokenSigner,
    locale: str,
) -> None:
    sent = await run(email_activities.send_merchant_request, merchant_input(locale=locale))

    assert sent.message_id == f"<{CASE_ID}.r1.request@cancelflow.test>"
    assert not sent.already_sent
    [message] = mail_sink.messages
    expected = REQUEST_EXPECTATIONS[locale]
    assert message["Subject"] == expected["subject"]
    assert message["Message-ID"] == sent.message_id
    assert message["To"] == "cancellations@streamio.example"
    text, html = text_of(message), html_of(message)
    for phrase in expected["phrases"]:
        assert phrase in text
    assert REFERENCE in text and REFERENCE in html
    assert "Streamio Premium" in text and "ACC-42" in text

    # The button and the text carry the same portal link, bound to this case and merchant.
    [link] = re.findall(rf"{re.escape(PORTAL_BASE_URL)}/r/([A-Za-z0-9_-]+)", text)
    assert f'href="{PORTAL_BASE_URL}/r/{link}"' in html
    grant = signer.verify(link, now=REQUESTED_AT)
    assert (grant.case_id, grant.merchant_id, grant.round) == (CASE_ID, "streamio", 1)
    # Tokens longer than an address local part allows get no Reply-To until the gateway exists.
    assert len(link) > 64
    assert message["Reply-To"] is None


async def test_merchant_email_holds_exactly_the_configured_identifiers(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    configured = ["last_name", "card_last4", "customer_number"]
    await run(email_activities.send_merchant_request, merchant_input(required=configured))

    [message] = mail_sink.messages
    content = everything_in(message)
    for name, value in ALL_IDENTIFIER_VALUES.items():
        if name in configured:
            assert value in text_of(message), name
            assert value in html_of(message), name
        else:
            assert value not in content, f"{name} must not reach this merchant"
    # Parts of the address are not leaked either (the street alone is an identifier).
    assert "Storgatan" not in content
    assert ALL_IDENTIFIER_VALUES["email"] not in message["To"]


async def test_the_requested_date_is_the_merchants_calendar_date(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    # 23:30 UTC on 2 March is already 3 March in Stockholm.
    late_evening = merchant_input().model_copy(
        update={"requested_at": datetime(2026, 3, 2, 23, 30, tzinfo=UTC)}
    )
    await run(email_activities.send_merchant_request, late_evening)
    [message] = mail_sink.messages
    assert "Requested on: 3 March 2026" in text_of(message)


async def test_identifiers_the_merchant_did_not_configure_are_dropped_even_if_passed(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    request = full_request(CASE_ID)
    everything = [
        IdentifierLine(name=name, value=value)
        for name in ALL_IDENTIFIER_VALUES
        if (value := request.customer.value_of(name)) is not None
    ]
    email = merchant_input(required=["customer_number"]).model_copy(
        update={"identifiers": everything}
    )
    await run(email_activities.send_merchant_request, email)

    [message] = mail_sink.messages
    content = everything_in(message)
    assert ALL_IDENTIFIER_VALUES["customer_number"] in content
    for name, value in ALL_IDENTIFIER_VALUES.items():
        if name != "customer_number":
            assert value not in content, name


async def test_merchant_reminder_threads_onto_the_request_and_reuses_its_link(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    request = await run(email_activities.send_merchant_request, merchant_input())
    reminder = await run(
        email_activities.send_merchant_reminder,
        merchant_input(kind=contracts.MerchantEmailKind.REMINDER, reminder_number=2),
    )

    assert reminder.message_id == f"<{CASE_ID}.r1.reminder-2@cancelflow.test>"
    first, second = mail_sink.messages
    assert second["Subject"] == f"Reminder 2: cancellation request {REFERENCE}: Streamio Premium"
    assert second["In-Reply-To"] == request.message_id
    assert second["References"] == request.message_id
    text = text_of(second)
    assert "Reminder 2: we have not yet received your answer to our request of 3 March 2026" in text
    link = re.compile(rf"{re.escape(PORTAL_BASE_URL)}/r/[A-Za-z0-9_-]+")
    assert link.findall(text) == link.findall(text_of(first))


async def test_merchant_reminder_in_swedish(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    await run(
        email_activities.send_merchant_reminder,
        merchant_input(kind=contracts.MerchantEmailKind.REMINDER, locale="sv", reminder_number=1),
    )
    [message] = mail_sink.messages
    assert message["Subject"] == f"Påminnelse 1: uppsägningsbegäran {REFERENCE}: Streamio Premium"
    assert "vi har ännu inte fått ert svar på vår begäran från den 3 mars 2026" in text_of(message)


@pytest.mark.parametrize(
    ("locale", "subject", "phrase"),
    [
        (
            "en",
            f"Withdrawn: cancellation request {REFERENCE}: Streamio Premium",
            "Please disregard that request",
        ),
        (
            "sv",
            f"Återkallad: uppsägningsbegäran {REFERENCE}: Streamio Premium",
            "Bortse från den begäran",
        ),
    ],
)
async def test_merchant_withdrawal_tells_the_merchant_to_disregard_the_request(
    email_activities: EmailActivities, mail_sink: MailSink, locale: str, subject: str, phrase: str
) -> None:
    sent = await run(
        email_activities.send_merchant_withdrawal,
        merchant_input(kind=contracts.MerchantEmailKind.WITHDRAWAL, locale=locale),
    )
    assert sent.message_id == f"<{CASE_ID}.r1.withdrawal@cancelflow.test>"
    [message] = mail_sink.messages
    assert message["Subject"] == subject
    assert message["In-Reply-To"] == f"<{CASE_ID}.r1.request@cancelflow.test>"
    assert phrase in text_of(message) and phrase in html_of(message)
    # Nothing to act on: no identifiers, no answer link.
    for value in ALL_IDENTIFIER_VALUES.values():
        assert value not in everything_in(message)
    assert f"{PORTAL_BASE_URL}/r/" not in everything_in(message)


async def test_an_activity_refuses_the_wrong_kind_of_merchant_email(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    with pytest.raises(ApplicationError) as raised:
        await run(email_activities.send_merchant_reminder, merchant_input())  # a request
    assert raised.value.non_retryable
    assert "kind" in raised.value.message
    assert mail_sink.messages == []


# --- customer emails --------------------------------------------------------------------------

CUSTOMER_CASES = [
    (
        CustomerOutcomeKind.CANCELLED,
        date(2026, 4, 30),
        {
            "en": 'has cancelled your subscription "Streamio Premium". You have access until '
            "30 April 2026",
            "sv": 'har sagt upp ditt abonnemang "Streamio Premium". Du har tillgång till det till '
            "och med 30 april 2026",
        },
    ),
    (
        CustomerOutcomeKind.ALREADY_CANCELLED,
        date(2026, 1, 15),
        {
            "en": "was already cancelled on 15 January 2026",
            "sv": "redan sades upp den 15 januari 2026",
        },
    ),
    (
        CustomerOutcomeKind.BINDING_CONTRACT,
        date(2026, 12, 31),
        {
            "en": "binding contract that ends on 31 December 2026",
            "sv": "bindningstid som löper ut den 31 december 2026",
        },
    ),
    (
        CustomerOutcomeKind.NOT_FOUND,
        None,
        {"en": "Please check your details", "sv": "Kontrollera dina uppgifter"},
    ),
    (
        CustomerOutcomeKind.NOT_CANCELLED,
        None,
        {
            # The case closes: no promise that someone will get back to the customer (#18.4).
            "en": 'could not cancel your subscription "Streamio Premium" at this time, and your '
            "cancellation request is now closed",
            "sv": 'kunde inte säga upp ditt abonnemang "Streamio Premium" just nu, och din begäran '
            "om uppsägning är nu avslutad",
        },
    ),
]


SUBJECTS = {
    CustomerOutcomeKind.CANCELLED: {
        "en": "Cancelled: Streamio Premium with Streamio AB ({reference})",
        "sv": "Uppsagt: Streamio Premium hos Streamio AB ({reference})",
    },
    CustomerOutcomeKind.ALREADY_CANCELLED: {
        "en": "Already cancelled: Streamio Premium with Streamio AB ({reference})",
        "sv": "Redan uppsagt: Streamio Premium hos Streamio AB ({reference})",
    },
    CustomerOutcomeKind.BINDING_CONTRACT: {
        "en": "Binding contract until 31 December 2026: Streamio Premium with Streamio AB "
        "({reference})",
        "sv": "Bindningstid till 31 december 2026: Streamio Premium hos Streamio AB ({reference})",
    },
    CustomerOutcomeKind.NOT_FOUND: {
        "en": "Please check your details: Streamio Premium with Streamio AB ({reference})",
        "sv": "Kontrollera dina uppgifter: Streamio Premium hos Streamio AB ({reference})",
    },
    CustomerOutcomeKind.NOT_CANCELLED: {
        "en": "Not cancelled: Streamio Premium with Streamio AB ({reference})",
        "sv": "Inte uppsagt: Streamio Premium hos Streamio AB ({reference})",
    },
}


@pytest.mark.parametrize("locale", ["en", "sv"])
@pytest.mark.parametrize(("kind", "effective", "phrases"), CUSTOMER_CASES)
async def test_customer_is_told_the_outcome_in_their_language(
    email_activities: EmailActivities,
    mail_sink: MailSink,
    locale: str,
    kind: CustomerOutcomeKind,
    effective: date | None,
    phrases: dict[str, str],
) -> None:
    outcome = CustomerOutcome(kind=kind, effective_date=effective)
    sent = await run(email_activities.notify_customer, customer_input(locale, outcome))

    assert sent.message_id == f"<{CASE_ID}.r1.customer-outcome@cancelflow.test>"
    [message] = mail_sink.messages
    assert message["To"] == ALL_IDENTIFIER_VALUES["email"]
    # Each outcome its own subject, with the case reference (#18.4); a long one is folded.
    assert message["Subject"].strip() == SUBJECTS[kind][locale].format(reference=REFERENCE)
    assert phrases[locale] in text_of(message)
    assert REFERENCE in text_of(message) and REFERENCE in visible_html(message)
    assert "support@cancelflow.test" in text_of(message)
    # The HTML quotes typographically; the words are the same.
    html_words = re.sub(r"[“”]", "", visible_html(message))
    assert phrases[locale].replace('"', "") in html_words
    assert {"en": "Hi Astrid,", "sv": "Hej Astrid,"}[locale] in text_of(message)


@pytest.mark.parametrize(
    ("kind", "locale", "subject", "phrase"),
    [
        (
            contracts.CustomerNotificationKind.WITHDRAWN,
            "en",
            "Your cancellation request for Streamio Premium has been withdrawn",
            "we have asked Streamio AB to disregard it",
        ),
        (
            contracts.CustomerNotificationKind.WITHDRAWN,
            "sv",
            "Din begäran om uppsägning av Streamio Premium har återkallats",
            "vi har bett Streamio AB att bortse från den",
        ),
        (
            contracts.CustomerNotificationKind.UNRESOLVED,
            "en",
            "Update on your cancellation of Streamio Premium with Streamio AB",
            "no corrected details reached us in time",
        ),
        (
            contracts.CustomerNotificationKind.UNRESOLVED,
            "sv",
            "Uppdatering om din uppsägning av Streamio Premium hos Streamio AB",
            "vi fick inga rättade uppgifter i tid",
        ),
    ],
)
async def test_customer_is_told_of_a_withdrawn_or_unresolved_case(
    email_activities: EmailActivities,
    mail_sink: MailSink,
    kind: contracts.CustomerNotificationKind,
    locale: str,
    subject: str,
    phrase: str,
) -> None:
    sent = await run(email_activities.notify_customer, customer_input(locale, kind=kind))
    assert sent.message_id == f"<{CASE_ID}.r1.customer-{kind.value}@cancelflow.test>"
    [message] = mail_sink.messages
    assert message["Subject"].strip() == f"{subject} ({REFERENCE})"
    assert phrase in text_of(message) and phrase in html_of(message)


async def test_customer_email_never_carries_the_merchants_other_reason_message(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    secret = "Customer owes us 1200 SEK, internal fraud flag F-77"
    answer = OtherReason(
        answered_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
        channel=Channel.PORTAL,
        responded_by="agent@streamio.example",
        message=secret,
    )
    await run(email_activities.notify_customer, customer_input("en", customer_outcome_for(answer)))

    [message] = mail_sink.messages
    content = everything_in(message)
    assert "1200 SEK" not in content and "F-77" not in content
    assert "agent@streamio.example" not in content
    assert "could not cancel your subscription" in text_of(message)


async def test_customer_outcome_email_without_an_outcome_is_a_final_error(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    with pytest.raises(ApplicationError) as raised:
        await run(email_activities.notify_customer, customer_input("en", outcome=None))
    assert raised.value.non_retryable
    assert "outcome" in raised.value.message
    assert mail_sink.messages == []


# --- ops emails -------------------------------------------------------------------------------


async def test_ops_email_says_what_waits_for_how_long_with_the_detail(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    waiting_since = datetime.now(UTC).replace(microsecond=0) - (
        datetime(2026, 1, 4, 3) - datetime(2026, 1, 1)
    )
    sent = await run(
        email_activities.notify_ops,
        contracts.OpsNotificationInput(
            case_id=CASE_ID,
            round=1,
            kind=contracts.OpsNotificationKind.ESCALATION,
            merchant_id="streamio",
            merchant_display_name="Streamio AB",
            waiting_since=waiting_since,
            business_days_waited=10,
            detail="No answer after two reminders <script>",
        ),
    )
    assert sent.message_id == f"<{CASE_ID}.r1.ops-escalation@cancelflow.test>"
    [message] = mail_sink.messages
    assert message["To"] == "ops@cancelflow.test"
    assert message["Subject"] == f"[cancelflow] escalation: case {CASE_ID} (Streamio AB)"
    text = text_of(message)
    assert "Merchant: Streamio AB (streamio)" in text
    assert "(3 days 3 hours)" in text
    assert "Business days waited: 10" in text
    assert "No answer after two reminders <script>" in text
    # The HTML escapes whatever the detail holds.
    assert "&lt;script&gt;" in html_of(message) and "<script>" not in html_of(message)


# --- exactly once -----------------------------------------------------------------------------


async def test_a_retried_activity_does_not_send_again(
    email_activities: EmailActivities, mail_sink: MailSink, outbox: Outbox
) -> None:
    email = merchant_input()
    first = await run(email_activities.send_merchant_request, email)
    second = await run(email_activities.send_merchant_request, email)

    assert len(mail_sink.messages) == 1
    assert second.already_sent and not first.already_sent
    assert (second.message_id, second.sent_at) == (first.message_id, first.sent_at)
    record = await outbox.get(CASE_ID, 1, "request")
    assert record is not None and record.status == "sent" and record.sent_at == first.sent_at


async def test_two_attempts_at_the_same_time_send_once(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    email = customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    results = await asyncio.gather(
        *(run(email_activities.notify_customer, email) for _ in range(4))
    )
    assert len(mail_sink.messages) == 1
    assert sorted(r.already_sent for r in results) == [False, True, True, True]


async def test_an_attempt_that_died_before_sending_is_sent_by_the_retry(
    email_activities: EmailActivities, mail_sink: MailSink, pool: asyncpg.Pool
) -> None:
    # Claimed, then the worker died: the email is not lost.
    await pool.execute(
        "INSERT INTO email_outbox (case_id, round, kind, message_id, recipient, subject) "
        "VALUES ($1, 1, 'request', $2, 'x', 'x')",
        CASE_ID,
        f"<{CASE_ID}.r1.request@cancelflow.test>",
    )
    sent = await run(email_activities.send_merchant_request, merchant_input())
    assert not sent.already_sent
    assert len(mail_sink.messages) == 1


# --- SMTP failures ----------------------------------------------------------------------------


class RejectingHandler(MailFolderHandler):
    """A real SMTP server that refuses some mailboxes, permanently (5xx) or for now (4xx)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.busy_mailbox_is_busy = True

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 Mailbox does not exist"
        if address.startswith("busy@") and self.busy_mailbox_is_busy:
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def rejecting_sink(tmp_path: Path) -> Iterator[MailSink]:
    sink = MailSink(tmp_path / "rejecting", port=free_port())
    sink.handler = RejectingHandler(sink.folder)
    with sink:
        yield sink


@pytest.fixture
def rejecting_activities(
    rejecting_sink: MailSink,
    email_settings: EmailSettings,
    signer: ReplyTokenSigner,
    outbox: Outbox,
) -> EmailActivities:
    return EmailActivities(
        smtp=SmtpSettings(host=rejecting_sink.host, port=rejecting_sink.port, timeout_seconds=10),
        email=email_settings,
        links=signer,
        portal_base_url=PORTAL_BASE_URL,
        outbox=outbox,
    )


async def test_a_rejected_recipient_is_a_final_error(
    rejecting_activities: EmailActivities, rejecting_sink: MailSink, outbox: Outbox
) -> None:
    email = customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    email = email.model_copy(update={"customer_email": "nobody@example.org"})

    with pytest.raises(ApplicationError) as raised:
        await run(rejecting_activities.notify_customer, email)

    assert raised.value.type == contracts.ADDRESS_REJECTED
    assert raised.value.non_retryable
    assert "550" in raised.value.message
    assert "nobody@example.org" not in raised.value.message and raised.value.__cause__ is None
    assert rejecting_sink.messages == []
    record = await outbox.get(CASE_ID, 1, "customer-outcome")
    assert record is not None and record.status == "sending"


async def test_a_merchant_with_one_good_address_still_gets_the_email(
    rejecting_activities: EmailActivities, rejecting_sink: MailSink
) -> None:
    email = merchant_input()
    good_and_bad = email.merchant.model_copy(
        update={"cancellation_emails": ["nobody@streamio.example", "desk@streamio.example"]}
    )
    sent = await run(
        rejecting_activities.send_merchant_request,
        email.model_copy(update={"merchant": good_and_bad}),
    )
    assert not sent.already_sent
    [message] = rejecting_sink.messages
    assert message["Message-ID"] == sent.message_id


async def test_a_temporary_refusal_is_retried_and_then_sent_once(
    rejecting_activities: EmailActivities, rejecting_sink: MailSink, outbox: Outbox
) -> None:
    email = customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    busy = email.model_copy(update={"customer_email": "busy@example.org"})

    with pytest.raises(ApplicationError) as raised:
        await run(rejecting_activities.notify_customer, busy)
    assert not raised.value.non_retryable
    assert "450" in raised.value.message
    assert "busy@example.org" not in raised.value.message and raised.value.__cause__ is None
    assert rejecting_sink.messages == []

    # The mailbox is free again on the next attempt (same key, recipient now accepted).
    handler = rejecting_sink.handler
    assert isinstance(handler, RejectingHandler)
    handler.busy_mailbox_is_busy = False
    sent = await run(rejecting_activities.notify_customer, busy)
    assert not sent.already_sent
    assert len(rejecting_sink.messages) == 1


async def test_an_unreachable_server_is_a_retryable_error(
    email_settings: EmailSettings, signer: ReplyTokenSigner, outbox: Outbox
) -> None:
    nobody_listens = EmailActivities(
        smtp=SmtpSettings(host="127.0.0.1", port=free_port(), timeout_seconds=5),
        email=email_settings,
        links=signer,
        portal_base_url=PORTAL_BASE_URL,
        outbox=outbox,
    )
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await run(nobody_listens.send_merchant_request, merchant_input())


# --- logs -------------------------------------------------------------------------------------


async def test_logs_name_the_email_but_never_the_customer(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    with capture_logs() as logs:
        await run(email_activities.send_merchant_request, merchant_input(required=["email"]))
        await run(
            email_activities.notify_customer,
            customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND)),
        )
        await run(
            email_activities.notify_customer,
            customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND)),
        )

    events = [entry["event"] for entry in logs]
    assert events == ["email.sent", "email.sent", "email.already_sent"]
    assert {entry["message_id"] for entry in logs} == {
        f"<{CASE_ID}.r1.request@cancelflow.test>",
        f"<{CASE_ID}.r1.customer-outcome@cancelflow.test>",
    }
    assert all(entry["case_id"] == CASE_ID and entry["round"] == 1 for entry in logs)
    logged = repr(logs)
    for value in ALL_IDENTIFIER_VALUES.values():
        assert value not in logged


async def test_names_cannot_inject_markup_into_the_html(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    email = customer_input("sv", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    hostile = email.model_copy(
        update={
            "customer_first_name": '<img src="x">Astrid',
            "merchant_display_name": "Streamio <b>AB</b>\nBcc: someone@example.org",
        }
    )
    await run(email_activities.notify_customer, hostile)

    [message] = mail_sink.messages
    assert "<img" not in html_of(message) and "<b>" not in html_of(message)
    assert "&lt;img" in html_of(message)
    # A newline in a name cannot start a new header.
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


async def test_a_value_postgresql_refuses_fails_at_once_instead_of_retrying_forever(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    # A NUL that reached an activity from a case recorded before the edges refused it:
    # PostgreSQL refuses it in the outbox on every attempt, so retrying cannot help.
    outcome = CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND)
    poisoned = customer_input(outcome=outcome).model_copy(
        update={"subscription_name": "Streamio\x00Premium"}
    )
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(email_activities.notify_customer, poisoned)
    assert refused.value.non_retryable
    assert refused.value.type == contracts.INVALID_EMAIL_INPUT
    assert "outbox" in refused.value.message
    assert mail_sink.handler.received == []
