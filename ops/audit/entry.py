"""What the timeline is made of: entries saying who did what when, and the case they belong to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class TimelineEntry:
    at: datetime
    round: int
    kind: str
    actor: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


@dataclass
class Timeline:
    case_id: str
    workflow_id: str
    runs: list[str]
    entries: list[TimelineEntry]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.entries]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "workflow_id": self.workflow_id,
            "runs": self.runs,
            "entries": [e.to_json() for e in self.entries],
        }
