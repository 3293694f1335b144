from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from domain.common import Locale, Slug
from domain.customer import CustomerIdentifiers
from domain.merchant import Merchant
from domain.text import Line200

_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")


def _case_id(value: str) -> str:
    if not _CASE_ID.fullmatch(value):
        raise ValueError(
            "must be 3-64 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


CaseId = Annotated[str, AfterValidator(_case_id)]


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Line200
    account_reference: Line200 | None = None


class CancellationRequest(BaseModel):
    """A customer's request to cancel one subscription; case_id is the caller's idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: CaseId = Field(description="Caller's idempotency key: 3-64 letters, digits, . _ -")
    merchant_id: Slug
    subscription: Subscription
    locale: Locale = "en"
    customer: CustomerIdentifiers
    requested_at: AwareDatetime | None = Field(
        default=None, description="When the customer asked (with a UTC offset); default: now"
    )


class MissingIdentifiersError(ValueError):
    def __init__(self, merchant_id: str, missing: list[str]) -> None:
        self.merchant_id = merchant_id
        self.missing = missing
        super().__init__(
            f"customer: merchant '{merchant_id}' requires identifiers that are missing: "
            + ", ".join(missing)
        )


def missing_identifiers(request: CancellationRequest, merchant: Merchant) -> list[str]:
    return [
        name for name in merchant.required_identifiers if request.customer.value_of(name) is None
    ]


def check_request_for_merchant(request: CancellationRequest, merchant: Merchant) -> None:
    """Intake rule: the request must carry every identifier its merchant requires."""
    missing = missing_identifiers(request, merchant)
    if missing:
        raise MissingIdentifiersError(merchant.merchant_id, missing)


class IdentifierLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: str


def merchant_view(request: CancellationRequest, merchant: Merchant) -> list[IdentifierLine]:
    """Exactly the identifiers this merchant is configured to receive, in its configured order."""
    lines: list[IdentifierLine] = []
    for name in merchant.required_identifiers:
        value = request.customer.value_of(name)
        if value is not None:
            lines.append(IdentifierLine(name=name, value=value))
    return lines
