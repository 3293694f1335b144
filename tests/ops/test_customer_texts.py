"""Issue 9 #11: what the customer is told after 'no subscription found' and 'binding contract'
is true: corrected details are taken (until a date), the new request's date is named, and the
unresolved case does not blame a silent merchant. Rendered by the real composer and templates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from activities import contracts
from activities.messages import MessageComposer
from activities.rendering import Templates
from domain.answers import BindingContract, NoSubscriptionFound
from domain.case import CaseState
from domain.common import Channel
from domain.customer_outcome import CustomerOutcome, CustomerOutcomeKind
from domain.reply_token import ReplyTokenSigner, case_reference
from tests.helpers.harness import make_merchant, make_request
from workflows.case_emails import customer_notification

Kind = contracts.CustomerNotificationKind


def composer(corrections_page: str | None = None) -> MessageComposer:
    return MessageComposer(
        templates=Templates(),
        links=ReplyTokenSigner("a-test-secret-of-enough-length"),
        portal_base_url="https://portal.cancelflow.test",
        message_id_domain="cancelflow.test",
        reply_domain="reply.cancelflow.test",
        support_address="support@cancelflow.test",
        ops_address="ops@cancelflow.test",
        corrections_page=corrections_page,
    )


def rendered(locale: str, kind: Kind, **fields: object) -> tuple[str, str]:
    email = composer().customer(
        contracts.CustomerNotificationInput(
            case_id="case-texts",
            round=1,
            kind=kind,
            customer_email="astrid@example.org",
            customer_first_name="Astrid",
            locale=locale,
            merchant_display_name="Streamio AB",
            subscription_name="Streamio Premium",
            **fields,
        )
    )
    visible_html = " ".join(re.sub(r"<[^>]+>", " ", email.html).split())
    return " ".join(email.text.split()), visible_html.replace("&rdquo;", '"').replace(
        "&ldquo;", '"'
    )


NOT_FOUND = CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND)
BINDING = CustomerOutcome(
    kind=CustomerOutcomeKind.BINDING_CONTRACT, effective_date=date(2027, 6, 30)
)


@pytest.mark.parametrize(
    ("locale", "wanted", "unwanted"),
    [
        (
            "en",
            [
                "send us your corrected details by 17 March 2027",
                "We will then ask Streamio AB again; you do not need to make a new request.",
            ],
            ["send a new request"],
        ),
        (
            "sv",
            [
                "skicka oss dina rättade uppgifter senast 17 mars 2027",
                "Vi frågar då Streamio AB igen; du behöver inte göra en ny begäran.",
            ],
            ["och skicka en ny begäran"],
        ),
    ],
)
def test_not_found_asks_for_corrected_details_until_a_date(
    locale: str, wanted: list[str], unwanted: list[str]
) -> None:
    for text in rendered(
        locale, Kind.OUTCOME, outcome=NOT_FOUND, corrections_until=date(2027, 3, 17)
    ):
        for phrase in wanted:
            assert phrase in text
        for phrase in unwanted:
            assert phrase not in text


@pytest.mark.parametrize(
    ("locale", "phrase"),
    [
        ("en", "We will send Streamio AB a new cancellation request on 31 May 2027"),
        ("sv", "Vi skickar en ny begäran om uppsägning till Streamio AB den 31 maj 2027"),
    ],
)
def test_binding_contract_says_when_the_new_request_goes_out(locale: str, phrase: str) -> None:
    for text in rendered(locale, Kind.OUTCOME, outcome=BINDING, new_request_on=date(2027, 5, 31)):
        assert phrase in text


@pytest.mark.parametrize(
    ("locale", "phrase", "false_claim"),
    [
        (
            "en",
            "no corrected details reached us in time, so your cancellation request is now closed",
            "not been able to get an answer",
        ),
        (
            "sv",
            "vi fick inga rättade uppgifter i tid, så din begäran om uppsägning är nu avslutad",
            "inte fått något svar",
        ),
    ],
)
def test_unresolved_says_what_happened_not_that_the_merchant_was_silent(
    locale: str, phrase: str, false_claim: str
) -> None:
    for text in rendered(locale, Kind.UNRESOLVED):
        assert phrase in text
        assert false_claim not in text


def test_the_workflow_gives_the_dates_to_the_email() -> None:
    merchant = make_merchant(notice_period_days=30)
    request = make_request()
    answered = datetime(2027, 3, 3, 22, 30, tzinfo=UTC)  # 23:30 in Stockholm
    for answer, expected in (
        (
            BindingContract(
                contract_ends_on=date(2027, 6, 30),
                answered_at=answered,
                channel=Channel.PORTAL,
                responded_by="Bo",
            ),
            {"new_request_on": date(2027, 5, 31), "corrections_until": None},
        ),
        (
            NoSubscriptionFound(answered_at=answered, channel=Channel.PORTAL, responded_by="Bo"),
            {"new_request_on": None, "corrections_until": date(2027, 3, 17)},
        ),
    ):
        state = CaseState.model_validate(
            {
                "case_id": request.case_id,
                "merchant_id": "acme",
                "requested_at": answered,
                "answer": answer,
                "answered_at": answered,
            }
        )
        notice = customer_notification(state, request, merchant, Kind.OUTCOME, None)
        assert {k: getattr(notice, k) for k in expected} == expected


# --- issue 18.4: what each customer email carries ---------------------------------------------

ALL_OUTCOMES = [
    CustomerOutcome(kind=CustomerOutcomeKind.CANCELLED, effective_date=date(2027, 4, 30)),
    CustomerOutcome(kind=CustomerOutcomeKind.ALREADY_CANCELLED, effective_date=date(2027, 1, 5)),
    BINDING,
    NOT_FOUND,
    CustomerOutcome(kind=CustomerOutcomeKind.NOT_CANCELLED),
]


def email_for(
    locale: str, kind: Kind, outcome: CustomerOutcome | None, page: str | None = None
) -> tuple[str, str, str]:
    """(subject, text, visible HTML) of one customer email."""
    email = composer(page).customer(
        contracts.CustomerNotificationInput(
            case_id="case-texts",
            round=1,
            kind=kind,
            customer_email="astrid@example.org",
            locale=locale,
            merchant_display_name="Streamio AB",
            subscription_name="Streamio Premium",
            outcome=outcome,
            new_request_on=date(2027, 5, 31) if outcome is BINDING else None,
            corrections_until=date(2027, 3, 17) if outcome is NOT_FOUND else None,
        )
    )
    return (
        email.subject,
        " ".join(email.text.split()),
        " ".join(re.sub(r"<[^>]+>", " ", email.html).split()),
    )


NOTICES: list[tuple[Kind, CustomerOutcome | None]] = [
    *((Kind.OUTCOME, outcome) for outcome in ALL_OUTCOMES),
    (Kind.WITHDRAWN, None),
    (Kind.UNRESOLVED, None),
]


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_each_email_has_its_own_subject_and_carries_the_reference_and_support(
    locale: str,
) -> None:
    reference = case_reference("case-texts")
    subjects = set()
    for kind, outcome in NOTICES:
        subject, text, html = email_for(locale, kind, outcome)
        subjects.add(subject)
        assert reference in subject
        for body in (text, html):
            assert reference in body
            assert "support@cancelflow.test" in body
    assert len(subjects) == len(NOTICES)


@pytest.mark.parametrize(
    ("locale", "by_support", "on_page"),
    [
        (
            "en",
            "by 17 March 2027: write to support@cancelflow.test and mention the reference",
            "by 17 March 2027: enter them at https://minna.example/case, with the reference",
        ),
        (
            "sv",
            "senast 17 mars 2027: skriv till support@cancelflow.test och ange referensen",
            "senast 17 mars 2027: ange dem på https://minna.example/case, med referensen",
        ),
    ],
)
def test_not_found_names_where_to_send_corrections_and_by_when(
    locale: str, by_support: str, on_page: str
) -> None:
    _, text, html = email_for(locale, Kind.OUTCOME, NOT_FOUND)
    assert by_support in text and by_support in html
    assert "where you made your request" not in text
    _, text, html = email_for(locale, Kind.OUTCOME, NOT_FOUND, page="https://minna.example/case")
    assert on_page in text and on_page in html


@pytest.mark.parametrize(
    ("locale", "closed", "promise"),
    [
        ("en", "your cancellation request is now closed", "get back to you"),
        ("sv", "din begäran om uppsägning är nu avslutad", "återkommer"),
    ],
)
def test_other_reason_says_the_case_closed_and_promises_no_call_back(
    locale: str, closed: str, promise: str
) -> None:
    outcome = CustomerOutcome(kind=CustomerOutcomeKind.NOT_CANCELLED)
    _, text, html = email_for(locale, Kind.OUTCOME, outcome)
    for body in (text, html):
        assert closed in body
        assert promise not in body
