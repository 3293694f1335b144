"""What the open-requests pages and a batch's page read from their query string: which list
(view), how old (age), where a page starts (before, page).

Read leniently, as before they were shared: a value the pages' own links never carry (an
unknown view, a malformed date or number) means the default, not an error page, so an old or
hand-edited link still shows the list. The forms' fields are checked, with errors, where the
forms are read (requests.py, batches.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams

from domain.case import CaseStatus

VIEWS: dict[str, tuple[CaseStatus, ...]] = {
    "waiting": (
        CaseStatus.AWAITING,
        CaseStatus.REMINDED,
        CaseStatus.ESCALATED,
        CaseStatus.NEEDS_TRIAGE,
    ),
    "follow_up": (CaseStatus.ANSWERED, CaseStatus.FOLLOW_UP),
}
AGES = (0, 3, 7, 14, 30)


def choice(value: str | None, allowed: tuple[Any, ...], default: Any) -> Any:
    for candidate in allowed:
        if str(candidate) == value:
            return candidate
    return default


@dataclass(frozen=True)
class ListQuery:
    view: str
    age: int
    before: datetime | None  # the page starts with the requests started before this instant


def list_query(params: QueryParams) -> ListQuery:
    before = None
    if params.get("before"):
        try:
            before = datetime.fromisoformat(params["before"][:40])
        except ValueError:
            before = None
        if before is not None and before.tzinfo is None:
            before = before.replace(tzinfo=UTC)
    return ListQuery(
        view=choice(params.get("view"), tuple(VIEWS), "waiting"),
        age=choice(params.get("age"), AGES, 0),
        before=before,
    )


def page_number(params: QueryParams) -> int:
    """The 0-based page of a numbered list (a batch's results)."""
    try:
        return max(0, int(params.get("page", "0")[:6]))
    except ValueError:
        return 0
