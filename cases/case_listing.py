"""Listing cases through Temporal visibility (search attributes only, no customer data).

Callers import these from cases.client, the one door to the case workflow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from temporalio.client import Client

from cases.queries import CASE_WORKFLOW_TYPE, case_query
from domain.case import OPEN_STATUSES, CaseStatus
from domain.case_listing import CaseListing
from domain.digest import OpenCase
from workflows import search_attributes as sa
from workflows.inputs import WORKFLOW_ID_PREFIX


async def list_cases(
    client: Client,
    *,
    statuses: tuple[str, ...] = (),
    merchant_id: str | None = None,
    escalated: bool | None = None,
    running_only: bool = False,
    workflow_type: str = CASE_WORKFLOW_TYPE,
    extra: str | None = None,
    limit: int | None = None,
) -> AsyncIterator[CaseListing]:
    """Cases matching the filters (see cases.queries.case_query), newest first."""
    query = case_query(
        statuses=statuses,
        merchant_id=merchant_id,
        escalated=escalated,
        running_only=running_only,
        workflow_type=workflow_type,
        extra=extra,
    )
    async for execution in client.list_workflows(query, limit=limit):
        attrs = execution.typed_search_attributes
        yield CaseListing(
            case_id=execution.id.removeprefix(WORKFLOW_ID_PREFIX),
            workflow_id=execution.id,
            status=attrs.get(sa.CASE_STATUS),
            merchant_id=attrs.get(sa.MERCHANT_ID),
            round=attrs.get(sa.CASE_ROUND),
            escalated=bool(attrs.get(sa.ESCALATED)),
            outcome=attrs.get(sa.OUTCOME),
            requested_at=attrs.get(sa.REQUESTED_AT),
            started_at=execution.start_time,
            workflow_status=execution.status.name if execution.status else None,
            changed_at=attrs.get(sa.CASE_CHANGED_AT),
        )


async def open_cases(
    client: Client, workflow_type: str = CASE_WORKFLOW_TYPE
) -> AsyncIterator[OpenCase]:
    """Running cases in an open status, as the ops digest counts them."""
    async for case in list_cases(client, running_only=True, workflow_type=workflow_type):
        if case.status is None or case.merchant_id is None or case.status not in OPEN_STATUSES:
            continue
        yield OpenCase(
            case_id=case.case_id,
            merchant_id=case.merchant_id,
            status=CaseStatus(case.status),
            escalated=case.escalated,
            requested_at=case.requested_at or case.started_at,
            round=case.round or 1,
        )
