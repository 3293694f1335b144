"""Search attributes ops filter cases by in the Temporal UI and CLI. No customer identifiers."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
OUTCOME = SearchAttributeKey.for_keyword("Outcome")
ESCALATED = SearchAttributeKey.for_bool("Escalated")
CASE_ROUND = SearchAttributeKey.for_int("CaseRound")
REQUESTED_AT = SearchAttributeKey.for_datetime("RequestedAt")
ANSWERED_AT = SearchAttributeKey.for_datetime("AnsweredAt")

ALL_SEARCH_ATTRIBUTES: list[SearchAttributeKey] = [  # type: ignore[type-arg]
    MERCHANT_ID,
    CASE_STATUS,
    OUTCOME,
    ESCALATED,
    CASE_ROUND,
    REQUESTED_AT,
    ANSWERED_AT,
]


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {
        "KEYWORD": "Keyword",
        "BOOL": "Bool",
        "INT": "Int",
        "DATETIME": "Datetime",
    }
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
