"""Search attributes ops filter cases by in the Temporal UI and CLI. No customer identifiers."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
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

_CLI_TYPE_NAMES = {
    "KEYWORD": "Keyword",
    "BOOL": "Bool",
    "INT": "Int",
    "DATETIME": "Datetime",
}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        kind = _CLI_TYPE_NAMES[key.indexed_value_type.name]
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags


async def register_search_attributes(client: Client) -> list[str]:
    """Add the attributes that the namespace lacks (idempotent); returns the names added."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as err:
        # The time-skipping test server can add attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL_SEARCH_ATTRIBUTES
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
