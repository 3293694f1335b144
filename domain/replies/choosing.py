"""Which date of a reply is the answer's date: tied to the outcome, not negated, not our
request's, the corrected one when the reply corrects itself, and only one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.common import Locale
from domain.replies.cues import Cue
from domain.replies.dates import DateMention, Direction
from domain.replies.reading import NoSuggestion
from domain.replies.sentences import Sentence

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
class Candidate:
    mention: DateMention
    sentence: Sentence
    index: int
    corrected: bool


def candidate_dates(sentences: list[Sentence], *, access: bool) -> list[Candidate]:
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
            found.append(Candidate(mention, sentence, index, Cue.CORRECTION in sentence.cues))
    return found


def one_date(
    candidates: list[Candidate], received: date, direction: Direction, language: Locale = "en"
) -> tuple[date, DateMention, Sentence] | NoSuggestion:
    corrected = [c for c in candidates if c.corrected]
    if corrected:
        last = max(c.index for c in corrected)
        candidates = [c for c in corrected if c.index == last]
    resolved: dict[date, Candidate] = {}
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
NEAR_AHEAD = timedelta(days=62)


def cancel_direction(candidates: list[Candidate], received: date) -> Direction:
    """ "Cancelled on 12 January" is past; "avslutat 31 mars", written in early March, is not."""
    for candidate in candidates:
        ahead = candidate.mention.resolve(received, "next")
        if candidate.mention.yearless and ahead is not None and ahead - received <= NEAR_AHEAD:
            if ahead > received:
                return "next"
    return "last"


def _just_past(mention: DateMention, received: date) -> bool:
    """A year-less end date that fell within the last weeks: read as the next such date it
    would be almost a year away, which a merchant seldom means without saying the year."""
    last = mention.resolve(received, "last")
    return mention.yearless and last is not None and received - NEAR_AHEAD <= last < received


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


def date_confidence(base: float, mention: DateMention, language: Locale) -> float:
    if mention.yearless:
        base -= 0.03
    if mention.relative:
        base -= 0.04
    return base
