"""The reply reader: an email reply, the day it was received and the merchant's language in;
a suggested answer (with a confidence and the sentences it rests on) or the reason for none out.

Pure and deterministic: no I/O, no clock (the received day is given), no model. A suggestion is
only made when the reply says one thing clearly; anything a person should read (out of office,
a question, several subscriptions, a forward, an acknowledgement, contradicting sentences,
dates it cannot tell apart) gives no suggestion and says why. Every suggestion is validated by
the answer's own rules (domain/answers.py), so it is one that the case would take.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from domain.answers import OTHER_REASON_MAX_CHARS, Outcome, parse_answer
from domain.common import Channel, Locale, format_validation_error
from domain.outcomes import OUTCOMES
from domain.replies.choosing import (
    cancel_direction,
    candidate_dates,
    date_confidence,
    one_date,
)
from domain.replies.cues import Cue
from domain.replies.dates import Direction
from domain.replies.message import GREETING, read_message
from domain.replies.reading import (
    READER,
    READER_NAME,
    READER_VERSION,
    NoSuggestion,
    Reading,
    Suggestion,
    note_of,
)
from domain.replies.sentences import Sentence, is_question, printable, sentences_of

__all__ = [
    "DATE_FIELD",
    "READER",
    "READER_NAME",
    "READER_VERSION",
    "NoSuggestion",
    "Reading",
    "Suggestion",
    "note_of",
    "read_reply",
    "read_text",
]

# The answer's date field per outcome, as domain/outcomes.py defines it.
DATE_FIELD: dict[Outcome, str] = {
    outcome: spec.date_field for outcome, spec in OUTCOMES.items() if spec.date_field
}
_DIRECTION: dict[Outcome, Direction] = {
    Outcome.HAS_NOW_BEEN_CANCELLED: "next",
    Outcome.WAS_ALREADY_CANCELLED: "last",
    Outcome.BINDING_CONTRACT: "next",
}
# A cancellation date this far before the reply was made before our request reached them.
_ALREADY_BEFORE = timedelta(days=7)


def read_reply(raw: bytes | str, received: date, language: Locale = "en") -> Reading:
    """Read one merchant reply (RFC 822 bytes) received on `received`."""
    reply = read_message(raw)
    if reply.automatic:
        return NoSuggestion(printable(reply.automatic))
    if reply.forwarded:
        return NoSuggestion("it forwards a message (to a colleague?): a person reads it")
    if not reply.text.strip():
        return NoSuggestion("no text of the merchant's own (only quoted text or a signature)")
    return read_text(reply.text, received, language)


def read_text(text: str, received: date, language: Locale = "en") -> Reading:
    """Read the merchant's own words (quotes and signature already removed)."""
    sentences = sentences_of(text, received)
    present: set[Cue] = set().union(*(s.cues for s in sentences)) if sentences else set()
    if Cue.OUT_OF_OFFICE in present:
        return NoSuggestion("an out-of-office reply: its return date is no answer")
    if Cue.SEVERAL in present:
        return NoSuggestion("it speaks of several subscriptions: a person decides")
    if Cue.QUESTION in present:
        return NoSuggestion("it asks for more details or asks a question: a person answers it")
    if Cue.RETRACTED in present:
        return NoSuggestion("it takes back what it says (wrong customer, please ignore)")
    if any(is_question(s.text) for s in sentences):
        return NoSuggestion("it asks a question: a person answers it")
    open_questions: list[Sentence] = []
    dated_future = [s for s in sentences if Cue.DONE_FUTURE in s.cues and s.dates]

    if Cue.NO_SUBSCRIPTION in present:
        if present & {Cue.DONE, Cue.ALREADY, Cue.BINDING}:
            return NoSuggestion(
                "it says the subscription was not found and also that it was "
                "handled: a person reads it"
            )
        return _suggest(
            Outcome.NO_SUBSCRIPTION_FOUND,
            {},
            0.9,
            sentences,
            {Cue.NO_SUBSCRIPTION},
            received,
            open_questions,
        )
    if Cue.BINDING in present:
        return _dated(
            Outcome.BINDING_CONTRACT,
            sentences,
            {Cue.BINDING, Cue.DONE_FUTURE},
            received,
            language,
            open_questions,
        )
    if Cue.ALREADY in present:
        return _dated(
            Outcome.WAS_ALREADY_CANCELLED,
            sentences,
            {Cue.ALREADY},
            received,
            language,
            open_questions,
        )
    if Cue.DONE in present or (dated_future and Cue.PENDING not in present):
        if Cue.NOT_CANCELLED in present and not _corrected(sentences):
            return NoSuggestion(
                "it says both that it is cancelled and that it is not: a person reads it"
            )
        return _cancelled_now(sentences, received, language, open_questions)
    if Cue.OTHER in present or (
        Cue.NOT_CANCELLED in present and Cue.BECAUSE in present and Cue.PENDING not in present
    ):
        message = _merchant_words(text)
        if not message:
            return NoSuggestion("no text of the merchant's own")
        evidence = [s for s in sentences if s.cues & {Cue.OTHER, Cue.NOT_CANCELLED}]
        return _suggest(
            Outcome.OTHER_REASON,
            {"message": message},
            0.6,
            evidence or sentences,
            set(),
            received,
            open_questions,
        )
    if Cue.NOT_CANCELLED in present:
        return NoSuggestion(
            "it says the subscription is not cancelled, without a reason to "
            "record: a person reads it"
        )
    if Cue.PENDING in present:
        return NoSuggestion("an acknowledgement: no outcome yet")
    return NoSuggestion("no answer found in the reply")


def _cancelled_now(
    sentences: list[Sentence], received: date, language: Locale, questions: list[Sentence]
) -> Reading:
    outcome = Outcome.HAS_NOW_BEEN_CANCELLED
    candidates = candidate_dates(sentences, access=True)
    confidence = 0.95
    if not candidates:
        immediate = [s for s in sentences if Cue.IMMEDIATE in s.cues]
        if immediate:
            return _suggest(
                outcome,
                {"access_until": received},
                0.9,
                _evidence(sentences, {Cue.DONE}) + immediate,
                set(),
                received,
                questions,
            )
        # A date on the cancellation itself: "cancelled on 12 January", "uppsagt idag".
        future = [s for s in sentences if Cue.DONE_FUTURE in s.cues and Cue.DONE not in s.cues]
        if future:
            # "set to end on 31 March": the date it takes effect, ahead.
            picked = one_date(candidate_dates(future, access=False), received, "next", language)
            if not isinstance(picked, NoSuggestion):
                day, mention, where = picked
                return _suggest(
                    outcome,
                    {"access_until": day},
                    date_confidence(0.85, mention, language),
                    [where],
                    set(),
                    received,
                    questions,
                )
        cancel_dates = candidate_dates([s for s in sentences if Cue.DONE in s.cues], access=False)
        if not cancel_dates:
            return NoSuggestion(
                "it says the subscription is cancelled but not until when the "
                "customer has access: a person records the date"
            )
        picked = one_date(
            cancel_dates, received, cancel_direction(cancel_dates, received), language
        )
        if isinstance(picked, NoSuggestion):
            return picked
        day, mention, where = picked
        if day < received - _ALREADY_BEFORE:
            return _suggest(
                Outcome.WAS_ALREADY_CANCELLED,
                {"cancelled_on": day},
                date_confidence(0.85, mention, language),
                [where],
                set(),
                received,
                questions,
            )
        return _suggest(
            outcome,
            {"access_until": day},
            date_confidence(0.8, mention, language),
            [where],
            set(),
            received,
            questions,
        )
    picked = one_date(candidates, received, "next", language)
    if isinstance(picked, NoSuggestion):
        return picked
    day, mention, where = picked
    done = _evidence(sentences, {Cue.DONE, Cue.DONE_FUTURE})
    if not any(Cue.DONE in s.cues for s in sentences):
        confidence -= 0.07  # only "will end on ...": the cancellation itself is implied
    return _suggest(
        outcome,
        {"access_until": day},
        date_confidence(confidence, mention, language),
        [*done, where],
        set(),
        received,
        questions,
    )


def _dated(
    outcome: Outcome,
    sentences: list[Sentence],
    cues: set[Cue],
    received: date,
    language: Locale,
    questions: list[Sentence],
) -> Reading:
    direction = _DIRECTION[outcome]
    related = [s for s in sentences if s.cues & cues]
    candidates = candidate_dates(related, access=outcome is Outcome.BINDING_CONTRACT)
    if not candidates and outcome is Outcome.BINDING_CONTRACT:
        candidates = candidate_dates(sentences, access=True)
    if not candidates:
        candidates = candidate_dates(related, access=False)
    confidence = 0.93
    if not candidates:
        # "... contacted us on 30 May and cancelled then. It is already cancelled.": the
        # reply's one date, wherever it stands, when there is exactly one.
        candidates = candidate_dates(sentences, access=False)
        confidence = 0.85
    if not candidates:
        return NoSuggestion(
            f"it reads as {outcome.value} but gives no {DATE_FIELD[outcome]} date: "
            "a person records it"
        )
    picked = one_date(candidates, received, direction, language)
    if isinstance(picked, NoSuggestion):
        return picked
    day, mention, where = picked
    return _suggest(
        outcome,
        {DATE_FIELD[outcome]: day},
        date_confidence(confidence, mention, language),
        [*_evidence(sentences, cues), where],
        set(),
        received,
        questions,
    )


def _corrected(sentences: list[Sentence]) -> bool:
    return any(Cue.CORRECTION in s.cues for s in sentences)


def _evidence(sentences: list[Sentence], cues: set[Cue]) -> list[Sentence]:
    return [s for s in sentences if s.cues & cues]


def _suggest(
    outcome: Outcome,
    fields: dict[str, Any],
    confidence: float,
    evidence: list[Sentence],
    cues: set[Cue],
    received: date,
    questions: list[Sentence],
) -> Reading:
    if cues:
        evidence = [*_evidence(evidence, cues)] or evidence
    if questions:
        confidence -= 0.1
        evidence = [*evidence, *questions]
    texts: list[str] = []
    for sentence in evidence:
        words = printable(sentence.text)[:300]
        if words not in texts:
            texts.append(words)
    refusal = answer_refusal(outcome, fields, received)
    if refusal is not None:
        return NoSuggestion(f"it reads as {outcome.value}, but that answer is refused: {refusal}")
    return Suggestion(outcome, fields, round(max(0.0, min(confidence, 0.99)), 2), tuple(texts))


def answer_refusal(outcome: Outcome, fields: dict[str, Any], received: date) -> str | None:
    """The answer's own rules, as if it had been given on the day the reply arrived."""
    try:
        parse_answer(
            {
                "outcome": outcome.value,
                "answered_at": datetime.combine(received, time(12), UTC),
                "channel": Channel.EMAIL.value,
                "responded_by": READER,
                **fields,
            }
        )
    except ValidationError as err:
        return format_validation_error(err)
    return None


def _merchant_words(text: str) -> str:
    lines = [line for line in text.split("\n") if not GREETING.match(line)]
    words = "\n".join(lines).strip()
    words = printable(words)
    return words[:OTHER_REASON_MAX_CHARS].strip()
