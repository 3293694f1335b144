"""What the portal's routes share: the Temporal client, the case archive, the directory, keys,
settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from temporalio.client import Client

from cases.client import HistorySource
from domain.merchant import Merchant
from domain.reply_token import ReplyTokenSigner
from portal.config import PortalSettings
from portal.csrf import CsrfProtector
from storage.api_keys import ApiKeyStore
from storage.archive import ArchiveStore
from storage.case_list import CaseList


class MerchantLookup(Protocol):
    async def get(self, merchant_id: str) -> Merchant | None: ...


@dataclass(frozen=True)
class PortalContext:
    client: Client
    merchants: MerchantLookup
    api_keys: ApiKeyStore
    settings: PortalSettings
    task_queue: str
    signer: ReplyTokenSigner
    csrf: CsrfProtector
    support_address: str
    history: HistorySource
    """Reads a case Temporal's retention deleted from the archive (its final state, request
    and merchant), so the reads answer the same for it as for a live case."""
    archive: ArchiveStore
    """Lists the closed cases Temporal's retention deleted, beside those it still holds."""
    case_list: CaseList
    """The merchants' open cases, kept by the workers' sync (workers/case_list_sync.py)."""

    def reply_url(self, token: str) -> str:
        return f"{self.settings.base_url}/r/{token}"


# async: FastAPI runs a plain-def dependency in its thread pool, a thread hop per request.
async def portal_context(request: Request) -> PortalContext:
    context = request.app.state.portal
    assert isinstance(context, PortalContext)
    return context


Ctx = Annotated[PortalContext, Depends(portal_context)]
