"""The reader's rules one by one, and that no message, however broken, makes it fail."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.answers import Outcome
from domain.replies.note import ReplySuggestion
from domain.replies.reader import NoSuggestion, Suggestion, note_of, read_reply, read_text


def _reply(words: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "support@acme.example"
    message["Subject"] = headers.pop("Subject", "Re: Cancellation request")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(words)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("words", "received", "outcome", "day"),
    [
        # A year-less date: the next one for an access end, across the turn of the year ...
        ("Cancelled, access until 5 January.", date(2027, 12, 28), "has_now", date(2028, 1, 5)),
        ("Cancelled, access until 5 January.", date(2027, 1, 3), "has_now", date(2027, 1, 5)),
        # ... and the last one for a cancellation already made.
        ("Already cancelled on 20 December.", date(2028, 1, 4), "already", date(2027, 12, 20)),
        ("Redan uppsagt den 2 mars.", date(2027, 3, 3), "already", date(2027, 3, 2)),
        ("Bindningstid t.o.m. 28 februari.", date(2027, 12, 29), "binding", date(2028, 2, 28)),
        ("Uppsagt, tillgång till den 29 februari.", date(2027, 3, 3), "has_now", date(2028, 2, 29)),
    ],
)
def test_a_date_without_a_year_is_the_next_or_the_last_such_date(
    words: str, received: date, outcome: str, day: date
) -> None:
    expected = {
        "has_now": (Outcome.HAS_NOW_BEEN_CANCELLED, "access_until"),
        "already": (Outcome.WAS_ALREADY_CANCELLED, "cancelled_on"),
        "binding": (Outcome.BINDING_CONTRACT, "contract_ends_on"),
    }[outcome]
    reading = read_text(words, received)
    assert isinstance(reading, Suggestion), reading
    assert (reading.outcome, reading.fields) == (expected[0], {expected[1]: day})


def test_an_answer_its_own_rules_refuse_is_never_suggested() -> None:
    reading = read_text("The subscription was already cancelled on 2027-12-31.", date(2027, 3, 3))
    assert isinstance(reading, NoSuggestion)
    assert "cancelled_on" in reading.reason and "cannot be after" in reading.reason
    ended = read_text("Binding contract until 2026-01-31, so we cannot cancel.", date(2027, 3, 3))
    assert isinstance(ended, NoSuggestion) and "contract_ends_on" in ended.reason


@pytest.mark.parametrize(
    "words",
    [
        "We have NOT cancelled it.",
        "Inte uppsagt ännu.",
        "We will cancel it once the customer confirms.",
        "The subscription is cancelled. Sorry, wrong customer - please ignore this.",
        "Cancelled. Access until 31 March or 30 April, depending on the plan.",
        "Can you confirm the customer's address before we cancel?",
        "Kunden har två abonnemang hos oss; vi har sagt upp ett av dem.",
        "Jag är på semester till och med den 10 mars.",
    ],
)
def test_negations_doubts_and_replies_for_a_person_suggest_nothing(words: str) -> None:
    assert isinstance(read_text(words, date(2027, 3, 3)), NoSuggestion)


def test_a_correction_takes_the_corrected_date() -> None:
    reading = read_text(
        "Cancelled, access until 7 March. Correction: access until 14 March, not 7 March.",
        date(2027, 3, 3),
    )
    assert isinstance(reading, Suggestion)
    assert reading.fields == {"access_until": date(2027, 3, 14)}


def test_an_automatic_reply_is_known_by_its_header_whatever_it_says() -> None:
    raw = _reply("Cancelled, access until 31 March.", Auto_Submitted="auto-replied")
    reading = read_reply(raw, date(2027, 3, 3))
    assert isinstance(reading, NoSuggestion) and "Auto-Submitted" in reading.reason
    plain = _reply("Cancelled, access until 31 March.", Auto_Submitted="no")
    assert isinstance(read_reply(plain, date(2027, 3, 3)), Suggestion)


def test_other_reason_carries_the_merchants_own_words_without_the_greeting() -> None:
    reading = read_text(
        "Hi Minna,\nThe customer must cancel through the App Store; we cannot do it.",
        date(2027, 3, 3),
    )
    assert isinstance(reading, Suggestion) and reading.outcome is Outcome.OTHER_REASON
    assert reading.fields == {
        "message": "The customer must cancel through the App Store; we cannot do it."
    }
    assert reading.confidence < 0.9


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000) | st.text(max_size=1500).map(lambda t: _reply(t)))
def test_any_message_gives_a_reading_that_can_be_stored(raw: bytes) -> None:
    note = note_of(read_reply(raw, date(2027, 3, 3), "sv"))
    assert ReplySuggestion.model_validate_json(note.model_dump_json()) == note
    assert (note.outcome is None) == (note.reason is not None)
