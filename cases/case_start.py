"""What a case shows from its start: the UI's summary and its first search attributes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.common import SearchAttributePair, TypedSearchAttributes

from domain.case import CaseStatus
from domain.reply_token import case_reference
from domain.request import CancellationRequest
from workflows import search_attributes as sa
from workflows.details import escape_markdown


def case_summary(request: CancellationRequest, merchant_name: str | None = None) -> str:
    """The Temporal UI's one-line summary: reference, subscription, merchant.

    The UI renders it as markdown: the subscription and merchant names are outside text.
    Status and outcome change, so they lead the case's current details (workflows/details.py).
    """
    merchant = escape_markdown(request.merchant_id)
    if merchant_name:
        merchant = f"{escape_markdown(merchant_name)} ({merchant})"
    return (
        f"{case_reference(request.case_id)}: cancel "
        f"{escape_markdown(request.subscription.name)} at {merchant}"
    )


def starting_search_attributes(request: CancellationRequest) -> TypedSearchAttributes:
    """What the case shows in visibility from its start, so its first status costs no upsert.

    'awaiting' from the start: the case waits for the merchant from the moment it exists
    (an answer is taken even before the request email went out).
    """
    now = datetime.now(UTC)
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.MERCHANT_ID, request.merchant_id),
        SearchAttributePair(sa.CASE_REFERENCE, case_reference(request.case_id)),
        SearchAttributePair(sa.CASE_STATUS, CaseStatus.AWAITING.value),
        SearchAttributePair(sa.ESCALATED, False),
        SearchAttributePair(sa.CASE_ROUND, 1),
        # Without one in the request, the case takes this instant as its requested_at.
        SearchAttributePair(sa.REQUESTED_AT, request.requested_at or now),
        # A case started with it never asks for CASE_CHANGED_AT_PATCH: no marker to pay for.
        SearchAttributePair(sa.CASE_CHANGED_AT, now),
    ]
    return TypedSearchAttributes(pairs)
