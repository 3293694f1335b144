"""The timeline of an erased case: the one it had, each personal value reading "erased on
DATE", and the erasure itself as its last entry (who, when, why)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.erasure import personal_actor, personal_values, redact, strike
from ops.audit.entry import Timeline, TimelineEntry

ERASED_KIND = "personal_data_erased"


def redacted_timeline(timeline: Timeline, marker: str) -> dict[str, Any]:
    """The timeline as JSON with every personal value replaced: actors who are people, the
    personal details, and those values wherever a summary quotes them."""
    entries = []
    for entry in timeline.entries:
        data = entry.to_json()
        values = personal_values(data["details"])
        details = redact(data["details"], marker)
        actor = data["actor"]
        if actor in values or personal_actor(actor):
            values.add(actor)
            actor = marker
        entries.append(
            data
            | {"actor": actor, "summary": strike(data["summary"], values, marker)}
            | {"details": details}
        )
    return timeline.to_json() | {"entries": entries}


def erased_timeline(
    remains: dict[str, Any], erased_at: datetime, erased_by: str, reason: str, trigger: str
) -> Timeline:
    """The timeline kept at erasure, with the erasure's own entry last."""
    entries = [
        TimelineEntry(
            at=datetime.fromisoformat(e["at"]),
            round=e["round"],
            kind=e["kind"],
            actor=e["actor"],
            summary=e["summary"],
            details=e["details"],
        )
        for e in remains["entries"]
    ]
    entries.append(
        TimelineEntry(
            at=erased_at,
            round=entries[-1].round if entries else 1,
            kind=ERASED_KIND,
            actor=erased_by,
            summary=f"personal data erased ({trigger}): {reason}",
            details={"reason": reason, "trigger": trigger, "erased_by": erased_by},
        )
    )
    return Timeline(
        case_id=remains["case_id"],
        workflow_id=remains["workflow_id"],
        runs=remains["runs"],
        entries=entries,
    )
