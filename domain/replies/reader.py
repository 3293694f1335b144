"""The reply reader: an email reply, the day it was received and the merchant's language in;
a suggested answer (with a confidence and the sentences it rests on) or the reason for none out.

Pure and deterministic: no I/O, no clock (the received day is given), no model. A suggestion is
only made when the reply says one thing clearly; anything a person should read (out of office,
a question, several subscriptions, a forward, an acknowledgement, contradicting sentences,
dates it cannot tell apart) gives no suggestion and says why. Every suggestion is validated by
the answer's own rules (domain/answers.py), so it is one that the case would take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from domain.answers import OTHER_REASON_MAX_CHARS, Outcome, parse_answer
from domain.common import Channel, Locale, format_validation_error
from domain.replies.cues import POLITE_QUESTION, Cue, cues_in
from domain.replies.dates import DateMention, Direction, find_dates
from domain.replies.message import GREETING, read_message
from domain.replies.note import ReplySuggestion

READER_NAME = "cancelflow reply reader"
READER_VERSION = "1"
READER = f"{READER_NAME} v{READER_VERSION}"

DATE_FIELD: dict[Outcome, str] = {
    Outcome.HAS_NOW_BEEN_CANCELLED: "access_until",
    Outcome.WAS_ALREADY_CANCELLED: "cancelled_on",
    Outcome.BINDING_CONTRACT: "contract_ends_on",
}
_DIRECTION: dict[Outcome, Direction] = {
    Outcome.HAS_NOW_BEEN_CANCELLED: "next",
    Outcome.WAS_ALREADY_CANCELLED: "last",
    Outcome.BINDING_CONTRACT: "next",
}
# A cancellation date this far before the reply was made before our request reached them.
_ALREADY_BEFORE = timedelta(days=7)


@dataclass(frozen=True)
class Suggestion:
    outcome: Outcome
    fields: dict[str, Any]
    """Exactly the fields the answer needs: its date field (a date), or other reason's message."""
    confidence: float
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return note_of(self).to_json()


@dataclass(frozen=True)
class NoSuggestion:
    reason: str

    def to_json(self) -> dict[str, Any]:
        return note_of(self).to_json()


Reading = Suggestion | NoSuggestion


def note_of(reading: Reading) -> ReplySuggestion:
    """The reading as stored with the reply and told to the case."""
    if isinstance(reading, NoSuggestion):
        return ReplySuggestion(reader=READER, reason=reading.reason[:500])
    return ReplySuggestion(
        reader=READER,
        outcome=reading.outcome,
        confidence=reading.confidence,
        evidence=reading.evidence,
        **reading.fields,
    )


def read_reply(raw: bytes | str, received: date, language: Locale = "en") -> Reading:
    """Read one merchant reply (RFC 822 bytes) received on `received`."""
    reply = read_message(raw)
    if reply.automatic:
        return NoSuggestion(_printable(reply.automatic))
    if reply.forwarded:
        return NoSuggestion("it forwards a message (to a colleague?): a person reads it")
    if not reply.text.strip():
        return NoSuggestion("no text of the merchant's own (only quoted text or a signature)")
    return read_text(reply.text, received, language)


@dataclass
class _Sentence:
    text: str
    cues: set[Cue]
    dates: list[DateMention] = field(default_factory=list)


def read_text(text: str, received: date, language: Locale = "en") -> Reading:
    """Read the merchant's own words (quotes and signature already removed)."""
    sentences = [_Sentence(s, cues_in(s), find_dates(s, received)) for s in split_sentences(text)]
    present: set[Cue] = set().union(*(s.cues for s in sentences)) if sentences else set()
    if Cue.OUT_OF_OFFICE in present:
        return NoSuggestion("an out-of-office reply: its return date is no answer")
    if Cue.SEVERAL in present:
        return NoSuggestion("it speaks of several subscriptions: a person decides")
    if Cue.QUESTION in present:
        return NoSuggestion("it asks for more details or asks a question: a person answers it")
    if Cue.RETRACTED in present:
        return NoSuggestion("it takes back what it says (wrong customer, please ignore)")
    if any(_is_question(s.text) for s in sentences):
        return NoSuggestion("it asks a question: a person answers it")
    open_questions: list[_Sentence] = []
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
    sentences: list[_Sentence], received: date, language: Locale, questions: list[_Sentence]
) -> Reading:
    outcome = Outcome.HAS_NOW_BEEN_CANCELLED
    candidates = _candidate_dates(sentences, access=True)
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
            picked = _one_date(_candidate_dates(future, access=False), received, "next", language)
            if not isinstance(picked, NoSuggestion):
                day, mention, where = picked
                return _suggest(
                    outcome,
                    {"access_until": day},
                    _date_confidence(0.85, mention, language),
                    [where],
                    set(),
                    received,
                    questions,
                )
        cancel_dates = _candidate_dates([s for s in sentences if Cue.DONE in s.cues], access=False)
        if not cancel_dates:
            return NoSuggestion(
                "it says the subscription is cancelled but not until when the "
                "customer has access: a person records the date"
            )
        picked = _one_date(
            cancel_dates, received, _cancel_direction(cancel_dates, received), language
        )
        if isinstance(picked, NoSuggestion):
            return picked
        day, mention, where = picked
        if day < received - _ALREADY_BEFORE:
            return _suggest(
                Outcome.WAS_ALREADY_CANCELLED,
                {"cancelled_on": day},
                _date_confidence(0.85, mention, language),
                [where],
                set(),
                received,
                questions,
            )
        return _suggest(
            outcome,
            {"access_until": day},
            _date_confidence(0.8, mention, language),
            [where],
            set(),
            received,
            questions,
        )
    picked = _one_date(candidates, received, "next", language)
    if isinstance(picked, NoSuggestion):
        return picked
    day, mention, where = picked
    done = _evidence(sentences, {Cue.DONE, Cue.DONE_FUTURE})
    if not any(Cue.DONE in s.cues for s in sentences):
        confidence -= 0.07  # only "will end on ...": the cancellation itself is implied
    return _suggest(
        outcome,
        {"access_until": day},
        _date_confidence(confidence, mention, language),
        [*done, where],
        set(),
        received,
        questions,
    )


def _dated(
    outcome: Outcome,
    sentences: list[_Sentence],
    cues: set[Cue],
    received: date,
    language: Locale,
    questions: list[_Sentence],
) -> Reading:
    direction = _DIRECTION[outcome]
    related = [s for s in sentences if s.cues & cues]
    candidates = _candidate_dates(related, access=outcome is Outcome.BINDING_CONTRACT)
    if not candidates and outcome is Outcome.BINDING_CONTRACT:
        candidates = _candidate_dates(sentences, access=True)
    if not candidates:
        candidates = _candidate_dates(related, access=False)
    confidence = 0.93
    if not candidates:
        # "... contacted us on 30 May and cancelled then. It is already cancelled.": the
        # reply's one date, wherever it stands, when there is exactly one.
        candidates = _candidate_dates(sentences, access=False)
        confidence = 0.85
    if not candidates:
        return NoSuggestion(
            f"it reads as {outcome.value} but gives no {DATE_FIELD[outcome]} date: "
            "a person records it"
        )
    picked = _one_date(candidates, received, direction, language)
    if isinstance(picked, NoSuggestion):
        return picked
    day, mention, where = picked
    return _suggest(
        outcome,
        {DATE_FIELD[outcome]: day},
        _date_confidence(confidence, mention, language),
        [*_evidence(sentences, cues), where],
        set(),
        received,
        questions,
    )


# Words before a date that tie it to the end of access or of a contract.
_ACCESS_WORDS = re.compile(
    r"\b(?:until|till|through|thru|up\s+to|access|valid|active|expires?\b|expiry|expiring|"
    r"end\b|ends\b|ending|runs?\b|"
    r"remain|t\.?\s?o\.?\s?m|tom|fram|gäller|giltig|löper|upphör|avslutas|sista|tillgång|aktiv|"
    r"kvar|slutar|binding|bindningstid|contract|avtal|usable|use|final|last\s+day|service|"
    r"tjänsten|sista|per|as\s+of|effective|effect|fr\.?\s?o\.?\s?m|från\s+och\s+med|kraft|"
    r"verkan|cease|lapse|renew|stängs|förnyas)",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(
    r"\b(?:not|inte|ej|icke|instead\s+of|istället\s+för|rather\s+than|snarare\s+än|än|than|"
    r"wrote|skrev|previously|tidigare|old)\s+(?:the\s+|den\s+|on\s+|per\s+|as\s+)?$",
    re.IGNORECASE,
)
_NEGATED_AFTER = re.compile(
    r"^\W*(?:was|is|var|är)\s+(?:wrong|incorrect|fel|felaktigt?)\b", re.IGNORECASE
)
_REQUEST_DATE_BEFORE = re.compile(
    r"\b(?:request(?:ed)?|email|e-mail|message|letter|begäran|mejl|mail|brev|meddelande|"
    r"sent|skickade|skickat|received|mottog|fick)\s+(?:of|from|dated|on|den|från|av|"
    r"sent\s+on|skickad[et]?\s+den|daterad[et]?|earlier|tidigare|sent)\s+(?:the\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    mention: DateMention
    sentence: _Sentence
    index: int
    corrected: bool


def _candidate_dates(sentences: list[_Sentence], *, access: bool) -> list[_Candidate]:
    """Dates tied to the answer: not negated ("not 7 March"), not our request's date; with
    `access`, only those after an until/ends/valid word."""
    found = []
    for index, sentence in enumerate(sentences):
        for mention in sentence.dates:
            before = sentence.text[: mention.start]
            after = sentence.text[mention.end :]
            if _NEGATED_BEFORE.search(before) or _NEGATED_AFTER.search(after):
                continue
            if _REQUEST_DATE_BEFORE.search(before):
                continue
            corrected = Cue.CORRECTION in sentence.cues
            if access and not corrected and not _ACCESS_WORDS.search(before[-60:]):
                continue
            found.append(_Candidate(mention, sentence, index, Cue.CORRECTION in sentence.cues))
    return found


def _one_date(
    candidates: list[_Candidate], received: date, direction: Direction, language: Locale = "en"
) -> tuple[date, DateMention, _Sentence] | NoSuggestion:
    corrected = [c for c in candidates if c.corrected]
    if corrected:
        last = max(c.index for c in corrected)
        candidates = [c for c in corrected if c.index == last]
    resolved: dict[date, _Candidate] = {}
    for candidate in candidates:
        day = candidate.mention.resolve(received, direction)
        if day is not None:
            resolved.setdefault(day, candidate)
    if not resolved:
        return NoSuggestion("the date it gives does not exist")
    if len(resolved) > 1:
        shown = ", ".join(sorted(d.isoformat() for d in resolved))
        return NoSuggestion(f"it gives several dates ({shown}): a person decides which one")
    day, candidate = next(iter(resolved.items()))
    if direction == "next" and _just_past(candidate.mention, received):
        return NoSuggestion(
            f"the date {candidate.mention.text} was a few weeks ago; next year's is unlikely "
            "to be meant: a person decides"
        )
    if _ambiguous_figures(candidate.mention, language):
        return NoSuggestion(
            f"the date {candidate.mention.text} can be read day first or month first: "
            "a person decides"
        )
    return day, candidate.mention, candidate.sentence


# A year-less date this close ahead, on the cancellation itself, is when it takes effect.
_NEAR_AHEAD = timedelta(days=62)


def _cancel_direction(candidates: list[_Candidate], received: date) -> Direction:
    """ "Cancelled on 12 January" is past; "avslutat 31 mars", written in early March, is not."""
    for candidate in candidates:
        ahead = candidate.mention.resolve(received, "next")
        if candidate.mention.yearless and ahead is not None and ahead - received <= _NEAR_AHEAD:
            if ahead > received:
                return "next"
    return "last"


def _just_past(mention: DateMention, received: date) -> bool:
    """A year-less end date that fell within the last weeks: read as the next such date it
    would be almost a year away, which a merchant seldom means without saying the year."""
    last = mention.resolve(received, "last")
    return mention.yearless and last is not None and received - _NEAR_AHEAD <= last < received


def _ambiguous_figures(mention: DateMention, language: Locale) -> bool:
    """05/04/2027 from an English-writing merchant: 5 April, or May 4 as in the US. Swedish
    writes the day first, and dots or dashes (05.04.2027) are day-first everywhere."""
    return (
        language == "en"
        and mention.numeric
        and "/" in mention.text
        and mention.day <= 12
        and mention.month <= 12
        and mention.day != mention.month
        and not re.match(r"\d{4}", mention.text)
    )


def _date_confidence(base: float, mention: DateMention, language: Locale) -> float:
    if mention.yearless:
        base -= 0.03
    if mention.relative:
        base -= 0.04
    return base


def _corrected(sentences: list[_Sentence]) -> bool:
    return any(Cue.CORRECTION in s.cues for s in sentences)


def _evidence(sentences: list[_Sentence], cues: set[Cue]) -> list[_Sentence]:
    return [s for s in sentences if s.cues & cues]


def _suggest(
    outcome: Outcome,
    fields: dict[str, Any],
    confidence: float,
    evidence: list[_Sentence],
    cues: set[Cue],
    received: date,
    questions: list[_Sentence],
) -> Reading:
    if cues:
        evidence = [*_evidence(evidence, cues)] or evidence
    if questions:
        confidence -= 0.1
        evidence = [*evidence, *questions]
    texts: list[str] = []
    for sentence in evidence:
        words = _printable(sentence.text)[:300]
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
    words = _printable(words)
    return words[:OTHER_REASON_MAX_CHARS].strip()


def _printable(text: str) -> str:
    """Outside text as stored and shown: control characters (ESC, NUL, ...) become spaces."""
    return "".join(c if c.isprintable() or c in "\t\n" else " " for c in text)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") and not POLITE_QUESTION.search(sentence)


_ABBREVIATIONS = re.compile(
    r"\b(?:t\.\s?o\.\s?m|fr\.\s?o\.\s?m|d\.\s?v\.\s?s|bl\.\s?a|p\.\s?g\.\s?a|m\.\s?fl|e\.\s?g|"
    r"i\.\s?e|ca|nr|no|tel|st|inkl|exkl|resp|ang|mr|mrs|ms|dr|jan|feb|mar|apr|jun|jul|aug|"
    r"sep|sept|oct|okt|nov|dec|etc)\.",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(«»]?[A-ZÅÄÖ])")


def split_sentences(text: str) -> list[str]:
    """Sentences: paragraph lines joined when a line runs on in lower case, then split at
    sentence ends (not at t.o.m., 31.3. or other abbreviations)."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
    joined: list[str] = []
    for line in lines:
        if not line:
            joined.append("")
            continue
        if joined and joined[-1] and not re.search(r"[.!?:;]$", joined[-1]) and line[:1].islower():
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    sentences: list[str] = []
    for line in joined:
        if not line:
            continue
        protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\x00"), line)
        for part in _SPLIT.split(protected):
            part = part.replace("\x00", ".").strip()
            if part:
                sentences.append(part)
    return sentences
