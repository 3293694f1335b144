"""Search attributes ops filter cases by in the Temporal UI and CLI. No customer identifiers.

The keys only: registering them in a namespace is workers/temporal_namespace.py.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
# The CF-… reference every email and page shows, a hash of the case id: no personal data.
CASE_REFERENCE = SearchAttributeKey.for_keyword("CaseReference")
CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
OUTCOME = SearchAttributeKey.for_keyword("Outcome")
ESCALATED = SearchAttributeKey.for_bool("Escalated")
CASE_ROUND = SearchAttributeKey.for_int("CaseRound")
REQUESTED_AT = SearchAttributeKey.for_datetime("RequestedAt")
ANSWERED_AT = SearchAttributeKey.for_datetime("AnsweredAt")
# When the case last changed status: what the merchant lists' read model syncs from
# (workers/case_list_sync.py), so it reads only what changed.
CASE_CHANGED_AT = SearchAttributeKey.for_datetime("CaseChangedAt")

ALL_SEARCH_ATTRIBUTES: list[SearchAttributeKey] = [  # type: ignore[type-arg]
    MERCHANT_ID,
    CASE_REFERENCE,
    CASE_STATUS,
    OUTCOME,
    ESCALATED,
    CASE_ROUND,
    REQUESTED_AT,
    ANSWERED_AT,
    CASE_CHANGED_AT,
]
