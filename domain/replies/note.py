"""What the reader said about one reply, as it is stored with the reply and told to the case."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.answers import Outcome
from domain.text import MultiLineText


class ReplySuggestion(BaseModel):
    """A suggested answer (outcome and its one field) or, with outcome None, why there is none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reader: str
    outcome: Outcome | None = None
    access_until: date | None = None
    cancelled_on: date | None = None
    contract_ends_on: date | None = None
    message: MultiLineText | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: tuple[MultiLineText, ...] = ()
    reason: str | None = None

    def answer_fields(self) -> dict[str, Any]:
        """The fields the suggested answer carries besides its outcome."""
        names = ("access_until", "cancelled_on", "contract_ends_on", "message")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def to_json(self) -> dict[str, Any]:
        """The `triage suggest --json` shape: the outcome's own fields only."""
        if self.outcome is None:
            return {"outcome": None, "reason": self.reason}
        data: dict[str, Any] = {"outcome": self.outcome.value}
        for name, value in self.answer_fields().items():
            data[name] = value.isoformat() if isinstance(value, date) else value
        data["confidence"] = self.confidence
        data["evidence"] = list(self.evidence)
        return data

    def describe(self) -> str:
        """One line for ops (outside text must still be escaped by whoever shows it)."""
        if self.outcome is None:
            return f"no suggestion: {self.reason}"
        fields = ", ".join(
            f"{k} {v.isoformat()}" for k, v in self.answer_fields().items() if isinstance(v, date)
        )
        shown = f"{self.outcome.value} {fields}".strip()
        return f"{shown} (confidence {self.confidence})"
