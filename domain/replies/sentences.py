"""A reply's own words as sentences, each with the cues and dates found in it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from domain.replies.cues import POLITE_QUESTION, Cue, cues_in
from domain.replies.dates import DateMention, find_dates


@dataclass
class Sentence:
    text: str
    cues: set[Cue]
    dates: list[DateMention] = field(default_factory=list)


def sentences_of(text: str, received: date) -> list[Sentence]:
    return [Sentence(s, cues_in(s), find_dates(s, received)) for s in split_sentences(text)]


def printable(text: str) -> str:
    """Outside text as stored and shown: control characters (ESC, NUL, ...) become spaces."""
    return "".join(c if c.isprintable() or c in "\t\n" else " " for c in text)


def is_question(sentence: str) -> bool:
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
