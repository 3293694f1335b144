"""The open requests' next step in words and the merchant's clock (issue 18 #2): 'reminder 2
on 14 Dec, 09:00 Stockholm', not a bare date; in English and Swedish."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.answers import parse_answer
from domain.case import CaseState, CaseStatus
from portal.merchant_settings.bulk_words import BulkTranslator

NEXT_YEAR = datetime.now(UTC).year + 1
DUE = datetime(NEXT_YEAR, 12, 14, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm


def _state(status: CaseStatus, steps: int = 0, **extra: object) -> CaseState:
    return CaseState.model_validate(
        {
            "case_id": "c-1",
            "merchant_id": "m",
            "requested_at": datetime(NEXT_YEAR - 1, 12, 1, tzinfo=UTC),
            "status": status,
            "chase_steps_done": steps,
            "next_action_at": DUE,
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("steps", "status", "english", "swedish"),
    [
        (
            0,
            CaseStatus.AWAITING,
            "reminder 1 on 14 Dec {y}, 09:00 Stockholm",
            "påminnelse 1 den 14 dec {y}, 09:00 Stockholm",
        ),
        (
            1,
            CaseStatus.REMINDED,
            "reminder 2 on 14 Dec {y}, 09:00 Stockholm",
            "påminnelse 2 den 14 dec {y}, 09:00 Stockholm",
        ),
        (
            2,
            CaseStatus.REMINDED,
            "escalation to our team on 14 Dec {y}, 09:00 Stockholm",
            "eskalering till vårt team den 14 dec {y}, 09:00 Stockholm",
        ),
        (
            3,
            CaseStatus.ESCALATED,
            "reminder 3 on 14 Dec {y}, 09:00 Stockholm",
            "påminnelse 3 den 14 dec {y}, 09:00 Stockholm",
        ),
    ],
)
def test_the_chase_step_and_when(
    steps: int, status: CaseStatus, english: str, swedish: str
) -> None:
    state = _state(status, steps)
    assert BulkTranslator("en").next_step(state, "Europe/Stockholm") == english.format(y=NEXT_YEAR)
    assert BulkTranslator("sv").next_step(state, "Europe/Stockholm") == swedish.format(y=NEXT_YEAR)


def test_this_year_needs_no_year() -> None:
    due = datetime.now(UTC).replace(month=12, day=31, hour=8, minute=0)
    state = _state(CaseStatus.AWAITING, next_action_at=due)
    assert BulkTranslator("en").next_step(state, "Europe/London") == (
        "reminder 1 on 31 Dec, 08:00 London"
    )


def test_follow_ups_and_triage() -> None:
    answer = parse_answer(
        {
            "outcome": "binding_contract",
            "contract_ends_on": f"{NEXT_YEAR}-12-31",
            "answered_at": datetime(NEXT_YEAR - 1, 12, 2, tzinfo=UTC),
            "channel": "portal",
            "responded_by": "x",
        }
    )
    binding = _state(CaseStatus.FOLLOW_UP, answer=answer, follow_up_at=DUE)
    assert BulkTranslator("en").next_step(binding, "Europe/Stockholm") == (
        f"a new request on 14 Dec {NEXT_YEAR}, 09:00 Stockholm, when the contract allows it"
    )
    triage = _state(CaseStatus.NEEDS_TRIAGE)
    assert "e-postsvar" in BulkTranslator("sv").next_step(triage, "Europe/Stockholm")
