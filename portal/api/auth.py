"""Bearer-key authentication for the APIs: the internal key, and per-merchant keys."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated, TypeVar

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portal.api.problems import ProblemError
from portal.context import Ctx
from storage.api_keys import KeyHolder

# How long a verified merchant key is trusted without a PostgreSQL read (issue 23): a key
# revoked through another process (a second portal replica, `cancelflow api-keys revoke`)
# stops working within this time; one revoked through this process stops at once.
VERIFIED_KEY_TTL = timedelta(seconds=5)

internal_scheme = HTTPBearer(
    auto_error=False, scheme_name="InternalKey", description="The internal API key"
)
merchant_scheme = HTTPBearer(
    auto_error=False, scheme_name="MerchantKey", description="A merchant's API key (cfk_...)"
)


_T = TypeVar("_T")


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


def _merchant_key(
    credentials: HTTPAuthorizationCredentials | None,
) -> str:
    if credentials is None:
        raise _unauthorized("send your merchant API key as 'Authorization: Bearer <key>'")
    return credentials.credentials


def _known(found: _T | None) -> _T:
    if found is None:
        raise _unauthorized("the API key is not valid or was revoked")
    return found


async def require_merchant(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(merchant_scheme)],
    ctx: Ctx,
) -> str:
    """The merchant_id the presented key belongs to."""
    return _known(await ctx.api_keys.authenticate(_merchant_key(credentials)))


MerchantIdentity = Annotated[str, Depends(require_merchant)]


async def require_key_holder(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(merchant_scheme)],
    ctx: Ctx,
) -> KeyHolder:
    """The presented key's merchant with its name and timezone, from the same query."""
    return _known(await ctx.api_keys.authenticate_holder(_merchant_key(credentials)))


MerchantKeyHolder = Annotated[KeyHolder, Depends(require_key_holder)]
