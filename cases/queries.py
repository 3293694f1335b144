"""Temporal visibility queries over the case search attributes: the one builder.

Pure text. Values are quoted and escaped here, so a merchant id or status can never end
the string literal and add a clause of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from workflows import search_attributes as sa

CASE_WORKFLOW_TYPE = "CancellationWorkflow"

# Temporal's list filter has no escape for control characters; none belongs in a value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def quoted(value: str) -> str:
    """A visibility string literal: single quotes, with backslash and quote escaped."""
    if _CONTROL.search(value):
        raise ValueError(f"{value!r}: control characters cannot be used in a case filter")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def case_query(
    *,
    statuses: Iterable[str] = (),
    merchant_id: str | None = None,
    escalated: bool | None = None,
    running_only: bool = False,
    workflow_type: str = CASE_WORKFLOW_TYPE,
    extra: str | None = None,
) -> str:
    """Cases matching every filter given; `extra` is an operator's own filter, ANDed as is.

    Statuses are CaseStatus values (a StrEnum is a str).
    """
    clauses = [f"WorkflowType = {quoted(workflow_type)}"]
    if running_only:
        clauses.append("ExecutionStatus = 'Running'")
    wanted = [str(status) for status in statuses]
    if len(wanted) == 1:
        clauses.append(f"{sa.CASE_STATUS.name} = {quoted(wanted[0])}")
    elif wanted:
        clauses.append(f"{sa.CASE_STATUS.name} IN ({', '.join(quoted(s) for s in wanted)})")
    if merchant_id is not None:
        clauses.append(f"{sa.MERCHANT_ID.name} = {quoted(merchant_id)}")
    if escalated is not None:
        clauses.append(f"{sa.ESCALATED.name} = {'true' if escalated else 'false'}")
    if extra:
        clauses.append(f"({extra})")
    return " AND ".join(clauses)


def changed_since(instant: datetime) -> str:
    """Cases whose status changed (CaseChangedAt) or whose run closed at or after `instant`."""
    at = quoted(instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return f"{sa.CASE_CHANGED_AT.name} >= {at} OR CloseTime >= {at}"
