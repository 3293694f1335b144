"""The refusal rules of a case, as pure functions of its state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.actions import DetailsCorrection, SnoozeRequest
from domain.answers import HasNowBeenCancelled, MerchantAnswer, NoSubscriptionFound
from domain.case import CaseState, CaseStatus
from domain.common import Channel
from domain.customer import CustomerIdentifiers
from domain.merchant import Merchant
from domain.refusals import (
    answer_refusal,
    correction_refusal,
    resend_refusal,
    snooze_refusal,
    withdrawal_refusal,
)
from domain.request import CancellationRequest, Subscription

ANSWERED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MERCHANT = Merchant.model_validate(
    {
        "merchant_id": "acme",
        "display_name": "Acme Streaming",
        "cancellation_emails": ["cancellations@acme.example"],
        "required_identifiers": ["email", "first_name", "last_name"],
        "timezone": "Europe/Stockholm",
        "country": "SE",
    }
)
REQUEST = CancellationRequest(
    case_id="c-1",
    merchant_id="acme",
    subscription=Subscription(name="Acme Premium"),
    locale="en",
    customer=CustomerIdentifiers(email="anna@example.com", first_name="Anna", last_name="Svensson"),
)


def state(status: CaseStatus, **fields: object) -> CaseState:
    return CaseState(
        case_id="c-1",
        merchant_id="acme",
        status=status,
        requested_at=datetime(2026, 3, 1, tzinfo=UTC),
        **fields,
    )


def cancelled(access_until: date = date(2026, 4, 1)) -> MerchantAnswer:
    return HasNowBeenCancelled(
        answered_at=ANSWERED_AT,
        channel=Channel.PORTAL,
        responded_by="Kim",
        access_until=access_until,
    )


def not_found() -> MerchantAnswer:
    return NoSubscriptionFound(answered_at=ANSWERED_AT, channel=Channel.API, responded_by="Kim")


# --- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [CaseStatus.STARTING, CaseStatus.AWAITING, CaseStatus.ESCALATED])
def test_an_open_undecided_case_takes_an_answer(status: CaseStatus) -> None:
    assert answer_refusal(state(status), cancelled()) is None


def test_the_recorded_answer_again_is_taken_through_another_channel() -> None:
    recorded = state(CaseStatus.CLOSED, answer=cancelled())
    again = cancelled().model_copy(update={"channel": Channel.EMAIL})
    assert answer_refusal(recorded, again) is None


def test_a_different_answer_is_refused_naming_the_recorded_one() -> None:
    recorded = state(CaseStatus.ANSWERED, answer=cancelled())
    refusal = answer_refusal(recorded, cancelled(date(2026, 5, 1)))
    assert refusal == (
        "an answer was already recorded on 2026-03-02T10:00:00+00:00 through portal "
        "(has_now_been_cancelled); a different answer cannot replace it"
    )


def test_an_answer_after_withdrawal_is_refused() -> None:
    withdrawn = state(CaseStatus.AWAITING, withdrawn_at=ANSWERED_AT)
    assert answer_refusal(withdrawn, cancelled()) == (
        "the customer withdrew the request on 2026-03-02T10:00:00+00:00; no answer is needed"
    )


@pytest.mark.parametrize("status", [CaseStatus.FAILED, CaseStatus.UNRESOLVED])
def test_a_closed_case_takes_no_answer(status: CaseStatus) -> None:
    assert answer_refusal(state(status), cancelled()) == (
        f"the case is {status.value}; it no longer takes answers"
    )


def test_a_closed_withdrawn_case_says_it_is_withdrawn() -> None:
    closed = state(CaseStatus.WITHDRAWN, withdrawn_at=ANSWERED_AT)
    assert answer_refusal(closed, cancelled()) == (
        "the case is withdrawn; it no longer takes answers"
    )


# --- withdrawals --------------------------------------------------------------------------


def test_withdrawal_is_taken_while_waiting_and_again_once_withdrawn() -> None:
    assert withdrawal_refusal(state(CaseStatus.REMINDED)) is None
    assert withdrawal_refusal(state(CaseStatus.WITHDRAWN, withdrawn_at=ANSWERED_AT)) is None


def test_withdrawal_after_the_answer_is_refused_unless_following_up() -> None:
    answered = state(CaseStatus.ANSWERED, answer=cancelled())
    assert withdrawal_refusal(answered) == (
        "the merchant already answered on 2026-03-02T10:00:00+00:00 (has_now_been_cancelled)"
    )
    assert withdrawal_refusal(state(CaseStatus.FOLLOW_UP, answer=not_found())) is None


def test_withdrawal_of_a_closed_case_is_refused() -> None:
    assert withdrawal_refusal(state(CaseStatus.CLOSED)) == (
        "the case is closed; there is nothing to withdraw"
    )


# --- corrected details --------------------------------------------------------------------


def correction(**customer: object) -> DetailsCorrection:
    data: dict[str, object] = {"email": "anna@example.com", "first_name": "Anna"}
    data.update(customer)
    return DetailsCorrection(customer=CustomerIdentifiers.model_validate(data))


def test_corrections_only_after_no_subscription_found() -> None:
    follow_up = state(CaseStatus.FOLLOW_UP, answer=not_found())
    assert correction_refusal(follow_up, correction(last_name="S"), REQUEST, MERCHANT) is None
    waiting = state(CaseStatus.AWAITING)
    assert correction_refusal(waiting, correction(last_name="S"), REQUEST, MERCHANT) == (
        "corrected details are only taken after the merchant found no subscription"
    )


def test_a_correction_missing_what_the_merchant_requires_names_it() -> None:
    follow_up = state(CaseStatus.FOLLOW_UP, answer=not_found())
    assert correction_refusal(follow_up, correction(), REQUEST, MERCHANT) == (
        "customer: the merchant requires identifiers that are missing: last_name"
    )


# --- snoozes ------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def snooze(until: date) -> SnoozeRequest:
    return SnoozeRequest(until=until, reason="merchant on holiday", requested_by="ops")


def test_a_waiting_case_snoozes_to_a_future_morning() -> None:
    assert (
        snooze_refusal(state(CaseStatus.REMINDED), MERCHANT, snooze(date(2026, 3, 11)), NOW) is None
    )


def test_a_snooze_to_today_or_earlier_is_refused_naming_until() -> None:
    # 09:00 Stockholm on the 10th is before 12:00 UTC on the 10th.
    assert snooze_refusal(state(CaseStatus.AWAITING), MERCHANT, snooze(date(2026, 3, 10)), NOW) == (
        "until: 2026-03-10 is not in the future"
    )


def test_a_snooze_before_the_request_went_out_is_refused() -> None:
    refusal = snooze_refusal(state(CaseStatus.STARTING), MERCHANT, snooze(date(2026, 4, 1)), NOW)
    assert refusal == "the request has not been sent to the merchant yet"
    assert (
        snooze_refusal(state(CaseStatus.AWAITING), None, snooze(date(2026, 4, 1)), NOW) == refusal
    )


def test_a_decided_case_cannot_be_snoozed() -> None:
    answered = state(CaseStatus.ANSWERED, answer=cancelled())
    assert snooze_refusal(answered, MERCHANT, snooze(date(2026, 4, 1)), NOW) == (
        "the case is answered; it is not waiting"
    )


SENT = {"round_started_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        (state(CaseStatus.AWAITING, **SENT), None),
        (state(CaseStatus.NEEDS_TRIAGE, **SENT), None),
        (state(CaseStatus.ESCALATED, escalated=True, **SENT), None),
        (state(CaseStatus.STARTING), "the request has not been sent to the merchant yet"),
        (state(CaseStatus.CLOSED, **SENT), "the case is closed; there is no request to send again"),
        (state(CaseStatus.FAILED), "the case is failed; there is no request to send again"),
        (
            state(CaseStatus.AWAITING, withdrawn_at=ANSWERED_AT, **SENT),
            "the customer withdrew the request on 2026-03-02T10:00:00+00:00; "
            "the merchant is told to disregard it",
        ),
        (
            state(CaseStatus.ANSWERED, answer=cancelled(), **SENT),
            "the merchant already answered on 2026-03-02T10:00:00+00:00 (has_now_been_cancelled)",
        ),
    ],
)
def test_a_resend_only_while_the_merchant_owes_the_answer(
    case: CaseState, refusal: str | None
) -> None:
    assert resend_refusal(case) == refusal
