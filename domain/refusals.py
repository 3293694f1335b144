"""Why a case refuses an answer, a withdrawal, corrected details, a snooze or a resend.

Pure functions of the case state: the workflow's validators and signal handlers ask them,
and so does the client when the case has closed and its Updates can no longer be reached.
Each returns None when the request is taken (repeating what was already taken is fine),
otherwise the reason in words for people.
"""

from __future__ import annotations

from datetime import datetime

from domain.actions import DetailsCorrection, SnoozeRequest
from domain.answers import MerchantAnswer
from domain.business_days import local_morning
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.outcomes import FollowUp, spec_of
from domain.request import CancellationRequest, missing_identifiers


def answer_refusal(state: CaseState, answer: MerchantAnswer) -> str | None:
    recorded = state.answer
    if recorded is not None:
        if recorded.same_outcome_as(answer):
            return None
        return (
            f"an answer was already recorded on {recorded.answered_at.isoformat()} "
            f"through {recorded.channel.value} ({recorded.outcome.value}); "
            "a different answer cannot replace it"
        )
    if not state.is_open:
        return f"the case is {state.status.value}; it no longer takes answers"
    if state.withdrawn_at is not None:
        return (
            f"the customer withdrew the request on {state.withdrawn_at.isoformat()}; "
            "no answer is needed"
        )
    # An answer while the request email is still going out is taken: the merchant may be
    # quicker than our worker, or ops may record an answer given another way.
    return None


def withdrawal_refusal(state: CaseState) -> str | None:
    if state.withdrawn_at is not None:
        return None
    if not state.is_open:
        return f"the case is {state.status.value}; there is nothing to withdraw"
    if state.answer is not None and state.status is not CaseStatus.FOLLOW_UP:
        return (
            f"the merchant already answered on {state.answer.answered_at.isoformat()} "
            f"({state.answer.outcome.value})"
        )
    return None


def correction_refusal(
    state: CaseState,
    correction: DetailsCorrection,
    request: CancellationRequest | None = None,
    merchant: Merchant | None = None,
) -> str | None:
    """Without the request and merchant, only the case's stage is checked."""
    if (
        state.status is not CaseStatus.FOLLOW_UP
        or state.answer is None
        or spec_of(state.answer).follow_up is not FollowUp.AWAIT_CORRECTED_DETAILS
    ):
        return "corrected details are only taken after the merchant found no subscription"
    if request is not None and merchant is not None:
        corrected = request.model_copy(update={"customer": correction.customer})
        missing = missing_identifiers(corrected, merchant)
        if missing:
            return "customer: the merchant requires identifiers that are missing: " + (
                ", ".join(missing)
            )
    return None


def snooze_refusal(
    state: CaseState, merchant: Merchant | None, request: SnoozeRequest, now: datetime
) -> str | None:
    """`now` is the workflow's clock inside the workflow, the wall clock outside it."""
    decided = state.answer is not None or state.withdrawn_at is not None
    if decided or not state.is_open:
        return f"the case is {state.status.value}; it is not waiting"
    if merchant is None or state.status is CaseStatus.STARTING:
        return "the request has not been sent to the merchant yet"
    if local_morning(request.until, merchant.timezone) <= now:
        return f"until: {request.until.isoformat()} is not in the future"
    return None


def resend_refusal(state: CaseState) -> str | None:
    """Sending the request again only makes sense while the merchant still owes the answer.

    An erased case is closed (erasure withdraws it first), so it is refused as closed.
    """
    if not state.is_open:
        return f"the case is {state.status.value}; there is no request to send again"
    if state.withdrawn_at is not None:
        return (
            f"the customer withdrew the request on {state.withdrawn_at.isoformat()}; "
            "the merchant is told to disregard it"
        )
    if state.answer is not None:
        return (
            f"the merchant already answered on {state.answer.answered_at.isoformat()} "
            f"({state.answer.outcome.value})"
        )
    if state.round_started_at is None:
        return "the request has not been sent to the merchant yet"
    return None
