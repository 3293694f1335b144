"""Registering the case search attributes in a Temporal namespace (operator service, CLI flags).

Process-side setup, kept out of workflows/: the keys themselves are workflows.search_attributes.
"""

from __future__ import annotations

import re
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

__all__ = [
    "ALL_SEARCH_ATTRIBUTES",
    "FILE_DATABASE_FLAGS",
    "SearchAttributeConflict",
    "dev_server_flags",
    "register_search_attributes",
    "type_name",
]

_CLI_TYPE_NAMES = {
    "KEYWORD": "Keyword",
    "BOOL": "Bool",
    "INT": "Int",
    "DATETIME": "Datetime",
}


# A dev server with a file database (`--db-filename`: the local stack, the bench, the fault
# suite) keeps it in SQLite's default rollback journal, where every write locks the whole
# file: a case list waited behind the writes of the cases being answered, 7 times its time at
# rest (docs/bulk-answers.md). In WAL mode reads go on beside the writes, which also commit
# with fewer syncs; a crash is recovered from the log at the next start.
FILE_DATABASE_FLAGS = ("--sqlite-pragma", "journal_mode=wal")


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_SEARCH_ATTRIBUTES:
        kind = _CLI_TYPE_NAMES[key.indexed_value_type.name]
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags


class SearchAttributeConflict(ValueError):
    """An attribute of ours exists in the namespace with another type."""


async def register_search_attributes(client: Client) -> dict[str, bool]:
    """Add the attributes the namespace lacks (idempotent): {name: True if added now}.

    Raises SearchAttributeConflict when one exists with another type.
    """
    from temporalio.service import RPCError, RPCStatusCode

    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = dict(listed.custom_attributes)
    except RPCError as err:
        # The time-skipping test server can add attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = {}
    added: dict[str, bool] = {}
    missing = {}
    for key in ALL_SEARCH_ATTRIBUTES:
        wanted = IndexedValueType.ValueType(int(key.indexed_value_type))
        if key.name in existing:
            if existing[key.name] != wanted:
                have = IndexedValueType.Name(existing[key.name]).removeprefix("INDEXED_VALUE_TYPE_")
                raise SearchAttributeConflict(
                    f"search attribute {key.name} exists in namespace {client.namespace} as "
                    f"{have.title()}, but cancelflow needs {type_name(key)}; "
                    "remove or rename it, then run this again"
                )
            added[key.name] = False
        else:
            missing[key.name] = wanted
            added[key.name] = True
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return added


def type_name(key: SearchAttributeKey) -> str:  # type: ignore[type-arg]
    return _CLI_TYPE_NAMES[key.indexed_value_type.name]


_RETENTION = re.compile(r"^(?P<count>[1-9][0-9]{0,4})(?P<unit>[dhw])$")
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_retention(text: str) -> timedelta:
    """'30d', '720h' or '4w'; Temporal refuses retention under one day."""
    match = _RETENTION.match(text.strip())
    if match is None:
        raise ValueError("--retention: must be a whole number of hours, days or weeks, e.g. 30d")
    retention = int(match["count"]) * _UNIT[match["unit"]]
    if retention < timedelta(days=1):
        raise ValueError("--retention: must be at least one day (1d or 24h)")
    return retention


async def namespace_retention(client: Client) -> timedelta:
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    return described.config.workflow_execution_retention_ttl.ToTimedelta()


async def set_namespace_retention(client: Client, retention: timedelta) -> None:
    """How long Temporal keeps a closed case's history (the archive keeps it for years)."""
    ttl = Duration()
    ttl.FromTimedelta(retention)
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=client.namespace,
            config=NamespaceConfig(workflow_execution_retention_ttl=ttl),
        )
    )
