"""Bearer-key authentication for the APIs: the internal key, and per-merchant keys."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portal.api.problems import ProblemError
from portal.context import Ctx
from storage.api_keys import KeyHolder

internal_scheme = HTTPBearer(
    auto_error=False, scheme_name="InternalKey", description="The internal API key"
)
merchant_scheme = HTTPBearer(
    auto_error=False, scheme_name="MerchantKey", description="A merchant's API key (cfk_...)"
)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def require_internal_key(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(internal_scheme)],
    ctx: Ctx,
) -> None:
    if credentials is None:
        raise _unauthorized("send the internal API key as 'Authorization: Bearer <key>'")
    expected = ctx.settings.internal_api_key.get_secret_value().encode("utf-8")
    if not hmac.compare_digest(credentials.credentials.encode("utf-8"), expected):
        raise _unauthorized("the API key is not valid")


async def require_merchant(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(merchant_scheme)],
    ctx: Ctx,
) -> str:
    """The merchant_id the presented key belongs to."""
    if credentials is None:
        raise _unauthorized("send your merchant API key as 'Authorization: Bearer <key>'")
    merchant_id = await ctx.api_keys.authenticate(credentials.credentials)
    if merchant_id is None:
        raise _unauthorized("the API key is not valid or was revoked")
    return merchant_id


MerchantIdentity = Annotated[str, Depends(require_merchant)]


async def require_key_holder(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(merchant_scheme)],
    ctx: Ctx,
) -> KeyHolder:
    """The presented key's merchant with its name and timezone, from the same query."""
    if credentials is None:
        raise _unauthorized("send your merchant API key as 'Authorization: Bearer <key>'")
    holder = await ctx.api_keys.authenticate_holder(credentials.credentials)
    if holder is None:
        raise _unauthorized("the API key is not valid or was revoked")
    return holder


MerchantKeyHolder = Annotated[KeyHolder, Depends(require_key_holder)]
