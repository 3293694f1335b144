"""The one visibility query builder: values stay inside their string literals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.queries import case_query, changed_since, quoted
from domain.case import CaseStatus


def test_all_filters_are_anded_in_order() -> None:
    query = case_query(
        statuses=(CaseStatus.AWAITING, CaseStatus.REMINDED),
        merchant_id="acme",
        escalated=False,
        running_only=True,
        extra="RequestedAt < '2026-01-01T00:00:00Z'",
    )
    assert query == (
        "WorkflowType = 'CancellationWorkflow' AND ExecutionStatus = 'Running' "
        "AND CaseStatus IN ('awaiting', 'reminded') AND MerchantId = 'acme' "
        "AND Escalated = false AND (RequestedAt < '2026-01-01T00:00:00Z')"
    )


def test_one_status_is_an_equality() -> None:
    assert case_query(statuses=["needs_triage"]) == (
        "WorkflowType = 'CancellationWorkflow' AND CaseStatus = 'needs_triage'"
    )


def test_a_quote_in_a_value_cannot_end_the_literal() -> None:
    hostile = "acme' OR MerchantId != '"
    assert quoted(hostile) == "'acme\\' OR MerchantId != \\''"
    assert case_query(merchant_id="a\\' OR 1=1").endswith("MerchantId = 'a\\\\\\' OR 1=1'")


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="control characters"):
        quoted("acme\nOR")


def test_changed_since_reads_status_changes_and_closes_in_utc() -> None:
    stockholm = datetime(2026, 12, 3, 15, 0, 0, 250_000, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert changed_since(stockholm) == (
        "CaseChangedAt >= '2026-12-03T14:00:00.250000Z' "
        "OR CloseTime >= '2026-12-03T14:00:00.250000Z'"
    )
