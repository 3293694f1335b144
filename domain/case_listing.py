"""A case as the lists show it: where it stands, never who the customer is.

One shape for both sources of a list: Temporal visibility (cases/case_listing.py) and the
read model the merchant's lists are served from (storage/case_list.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CaseListing:
    """One case's search attributes (or their copy in the read model): no customer data."""

    case_id: str
    workflow_id: str
    status: str | None
    merchant_id: str | None
    round: int | None
    escalated: bool
    outcome: str | None
    requested_at: datetime | None
    started_at: datetime
    workflow_status: str | None
    changed_at: datetime | None = None
    """When the case last changed status (the CaseChangedAt search attribute)."""
