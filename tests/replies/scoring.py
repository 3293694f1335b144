"""Precision and coverage of the reply reader over a labelled corpus (tests/replies/corpus.py).

precision: suggestions a careful op accepts (the right outcome, and its date) / suggestions made;
coverage: replies that carry an answer and got the right suggestion / replies that carry one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.answers import Outcome
from domain.replies.reader import DATE_FIELD, Reading, Suggestion, read_reply
from tests.replies.corpus import Entry


@dataclass
class Score:
    suggested: int = 0
    accepted: int = 0
    answers: int = 0
    covered: int = 0
    wrong: list[tuple[Entry, Reading]] = field(default_factory=list)
    missed: list[tuple[Entry, Reading]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.accepted / self.suggested if self.suggested else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.answers if self.answers else 1.0

    def report(self, name: str) -> str:
        lines = [
            f"{name}: precision {self.accepted}/{self.suggested} = {self.precision:.3f}, "
            f"coverage {self.covered}/{self.answers} = {self.coverage:.3f}"
        ]
        for entry, reading in self.wrong:
            lines.append(
                f"  WRONG  {entry.id}: expected {entry.expected_outcome} "
                f"{entry.expected_date}, got {reading.to_json()}"
            )
        for entry, reading in self.missed:
            lines.append(
                f"  MISSED {entry.id}: expected {entry.expected_outcome} "
                f"{entry.expected_date}, got {reading.to_json()}"
            )
        return "\n".join(lines)


def accepted(entry: Entry, reading: Reading) -> bool:
    if not isinstance(reading, Suggestion) or entry.expected_outcome is None:
        return False
    if reading.outcome.value != entry.expected_outcome:
        return False
    field_name = DATE_FIELD.get(Outcome(entry.expected_outcome))
    if field_name is None:
        return True
    return reading.fields.get(field_name) == entry.expected_date


def score(entries: list[Entry]) -> Score:
    result = Score()
    for entry in entries:
        reading = read_reply(entry.raw(), entry.received, entry.locale)
        ok = accepted(entry, reading)
        if entry.expected_outcome is not None:
            result.answers += 1
            if ok:
                result.covered += 1
            elif isinstance(reading, Suggestion) is False:
                result.missed.append((entry, reading))
        if isinstance(reading, Suggestion):
            result.suggested += 1
            if ok:
                result.accepted += 1
            else:
                result.wrong.append((entry, reading))
    return result
