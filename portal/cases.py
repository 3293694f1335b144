"""A case as one merchant may see it: its state, the request, and only its identifiers.

A case whose history Temporal's retention deleted is read from the archive and shows the same.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from cases.client import (
    CaseNotFound,
    case_handle,
    case_state,
    is_merchants_live_case,
    recorded_case,
    recorded_case_of,
)
from domain.case import CaseState
from domain.merchant import Merchant
from domain.reply_token import case_reference
from domain.request import CancellationRequest, CaseId, IdentifierLine, merchant_view
from domain.text import visible
from portal.context import PortalContext

_CASE_ID: TypeAdapter[str] = TypeAdapter(CaseId)


def is_case_id(value: str) -> bool:
    """Whether value could be a case_id at all; anything else is not looked up."""
    try:
        _CASE_ID.validate_python(value)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class MerchantCase:
    state: CaseState
    request: CancellationRequest
    merchant: Merchant
    identifiers: list[IdentifierLine]
    archived: bool = False
    """Read from the archive: Temporal no longer holds the case, so it takes no answer."""

    @property
    def requested_on(self) -> date:
        """The request's date on the merchant's own calendar."""
        return self.state.requested_at.astimezone(ZoneInfo(self.merchant.timezone)).date()

    @property
    def reference(self) -> str:
        return case_reference(self.state.case_id)


async def owns_live_case(context: PortalContext, case_id: str, merchant_id: str) -> bool:
    return await is_merchants_live_case(context.client, case_id, merchant_id)


async def _owned(context: PortalContext, case_id: str, merchant_id: str) -> str | None:
    """'live' or 'archived' when the case is merchant_id's, else None.

    Any id that is not the merchant's own live case (unknown, deleted by retention, or
    another merchant's) also asks the archive once, one indexed lookup, so none of the three
    answers faster than another (issue 9 #3).
    """
    if await owns_live_case(context, case_id, merchant_id):
        return "live"
    archived = await context.history.archived_merchant(case_id)
    return "archived" if archived == merchant_id else None


async def load_merchant_case(
    context: PortalContext, case_id: str, merchant_id: str
) -> MerchantCase | None:
    """The case when it exists and belongs to merchant_id; None otherwise, indistinguishably.

    Ownership comes first, from a lookup that costs the same for every id: querying the
    state of another merchant's case (a worker round trip, a replay when it is closed)
    would take measurably longer than finding nothing.
    """
    owned = await _owned(context, case_id, merchant_id)
    if owned is None:
        return None
    if owned == "archived":
        return await _archived_case(context, case_id, merchant_id)
    try:
        state = await case_state(context.client, case_id)
    except CaseNotFound:
        # Deleted from Temporal between the describe and the query.
        return await _archived_case(context, case_id, merchant_id)
    if state.merchant_id != merchant_id:
        return None
    # Independent reads: side by side, not one after the other.
    recorded, merchant = await asyncio.gather(
        recorded_case(case_handle(context.client, case_id)),
        context.merchants.get(merchant_id),
    )
    if recorded.request is None or merchant is None:
        return None
    return MerchantCase(
        state=state,
        request=_shown(recorded.request),
        merchant=merchant,
        identifiers=_identifiers_sent(recorded.request, recorded.merchant, merchant),
    )


def _identifiers_sent(
    request: CancellationRequest, recorded: Merchant | None, today: Merchant
) -> list[IdentifierLine]:
    """The identifiers the case's emails carried: the merchant as the case loaded it decides
    (cases/recorded_merchant.py), not today's settings; today's only for a case that has
    not loaded its merchant yet, whose first email is still to be sent with them."""
    return [
        line.model_copy(update={"value": visible(line.value)})
        for line in merchant_view(request, recorded or today)
    ]


def _shown(request: CancellationRequest) -> CancellationRequest:
    """The request as the merchant's views show it: the subscription's text with any hidden
    character of a case recorded before the rule written out (domain/text.py)."""
    subscription = request.subscription
    shown = subscription.model_copy(
        update={
            "name": visible(subscription.name),
            "account_reference": subscription.account_reference
            and visible(subscription.account_reference),
        }
    )
    return request.model_copy(update={"subscription": shown})


async def _archived_case(
    context: PortalContext, case_id: str, merchant_id: str
) -> MerchantCase | None:
    archived, merchant = await asyncio.gather(
        context.history.archived_case(case_id), context.merchants.get(merchant_id)
    )
    if archived is None or merchant is None or archived.state.merchant_id != merchant_id:
        return None
    runs = await context.history.case_histories(case_id)
    recorded = await recorded_case_of(context.client.data_converter, runs.events[-1])
    return MerchantCase(
        state=archived.state,
        request=_shown(archived.request),
        merchant=merchant,
        identifiers=_identifiers_sent(archived.request, recorded.merchant, merchant),
        archived=True,
    )


async def refresh(context: PortalContext, case: MerchantCase) -> MerchantCase:
    if case.archived:
        return case  # a case only the archive holds no longer changes
    try:
        state = await case_state(context.client, case.state.case_id)
    except CaseNotFound:
        archived = await context.history.archived_case(case.state.case_id)
        if archived is None:
            raise
        state = archived.state
    return MerchantCase(
        state=state, request=case.request, merchant=case.merchant, identifiers=case.identifiers
    )
