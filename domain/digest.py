"""The daily ops digest: open cases by merchant and by age, the overdue and escalated ones."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field

from domain.case import CaseStatus

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2 days", 0, 2),
    ("3-7 days", 3, 7),
    ("8-14 days", 8, 14),
    ("15-30 days", 15, 30),
    ("over 30 days", 31, None),
)


class OpenCase(BaseModel):
    """One open case as Temporal visibility shows it (search attributes only, no customer data)."""

    case_id: str
    merchant_id: str
    status: CaseStatus
    escalated: bool
    requested_at: datetime
    round: int = 1


class DigestReport(BaseModel):
    generated_at: datetime
    open_total: int
    by_merchant: dict[str, int]
    by_age: dict[str, int]
    overdue: list[OpenCase] = Field(description="Reminded but not yet escalated")
    escalated: list[OpenCase]
    needs_triage: list[OpenCase]


def age_bucket(requested_at: datetime, now: datetime) -> str:
    days = (now - requested_at).days
    for label, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][0]


def build_digest(cases: list[OpenCase], now: datetime) -> DigestReport:
    oldest_first = sorted(cases, key=lambda c: c.requested_at)
    by_age = Counter(age_bucket(c.requested_at, now) for c in cases)
    return DigestReport(
        generated_at=now,
        open_total=len(cases),
        by_merchant=dict(sorted(Counter(c.merchant_id for c in cases).items())),
        by_age={label: by_age.get(label, 0) for label, _, _ in AGE_BUCKETS},
        overdue=[c for c in oldest_first if c.status is CaseStatus.REMINDED and not c.escalated],
        escalated=[c for c in oldest_first if c.escalated],
        needs_triage=[c for c in oldest_first if c.status is CaseStatus.NEEDS_TRIAGE],
    )


def archive_lag_line(lag_seconds: float, unarchived_runs: int) -> str:
    """The digest's line on how far the case archive is behind Temporal."""
    if unarchived_runs == 0:
        return "Archive lag: none (every closed case run is archived)"
    hours, rest = divmod(int(lag_seconds), 3600)
    return (
        f"Archive lag: {hours} h {rest // 60} min "
        f"({unarchived_runs} closed run{'s' if unarchived_runs != 1 else ''} not yet archived)"
    )
