from datetime import UTC, datetime, timedelta

from domain.case import CaseStatus
from domain.digest import OpenCase, build_digest

NOW = datetime(2027, 5, 20, 6, 0, tzinfo=UTC)


def case(
    case_id: str, merchant: str, status: CaseStatus, days: int, escalated: bool = False
) -> OpenCase:
    return OpenCase(
        case_id=case_id,
        merchant_id=merchant,
        status=status,
        escalated=escalated,
        requested_at=NOW - timedelta(days=days, hours=1),
    )


def test_digest_groups_by_merchant_and_age_and_lists_what_needs_attention() -> None:
    report = build_digest(
        [
            case("new", "acme", CaseStatus.AWAITING, 1),
            case("late", "acme", CaseStatus.REMINDED, 9),
            case("later", "zeta", CaseStatus.REMINDED, 5),
            case("stuck", "zeta", CaseStatus.ESCALATED, 40, escalated=True),
            case("triage", "acme", CaseStatus.NEEDS_TRIAGE, 3),
            case("triage-escalated", "zeta", CaseStatus.NEEDS_TRIAGE, 20, escalated=True),
        ],
        NOW,
    )
    assert report.open_total == 6
    assert report.by_merchant == {"acme": 3, "zeta": 3}
    assert report.by_age == {
        "0-2 days": 1,
        "3-7 days": 2,
        "8-14 days": 1,
        "15-30 days": 1,
        "over 30 days": 1,
    }
    # Oldest first: the ones that have waited longest lead each list.
    assert [c.case_id for c in report.overdue] == ["late", "later"]
    assert [c.case_id for c in report.escalated] == ["stuck", "triage-escalated"]
    assert [c.case_id for c in report.needs_triage] == ["triage-escalated", "triage"]


def test_an_empty_digest_still_has_every_age_bucket() -> None:
    report = build_digest([], NOW)
    assert report.open_total == 0
    assert set(report.by_age.values()) == {0}
    assert report.escalated == [] and report.overdue == []
