"""What the reader concludes about one reply: a suggestion, or no suggestion with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.answers import Outcome
from domain.replies.note import ReplySuggestion

READER_NAME = "cancelflow reply reader"
READER_VERSION = "1"
READER = f"{READER_NAME} v{READER_VERSION}"


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
