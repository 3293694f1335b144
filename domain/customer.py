from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from domain.text import NO_CONTROLS, Line200

NonEmpty = Line200

_EXTRA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CARD_LAST4 = re.compile(r"^[0-9]{4}$")


class StandardIdentifier(StrEnum):
    """The identifiers the merchant guide lists; merchants choose which they receive."""

    EMAIL = "email"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    POSTAL_ADDRESS = "postal_address"
    CARD_LAST4 = "card_last4"


STANDARD_IDENTIFIERS: frozenset[str] = frozenset(i.value for i in StandardIdentifier)


def validate_identifier_name(name: str) -> str:
    if name in STANDARD_IDENTIFIERS or _EXTRA_NAME.fullmatch(name):
        return name
    raise ValueError(
        f"'{name}' is not an identifier name: use one of {sorted(STANDARD_IDENTIFIERS)} "
        "or a lower-case name such as 'customer_number'"
    )


class PostalAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    street: NonEmpty
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=12), NO_CONTROLS
    ]
    city: NonEmpty
    # pydantic checks the pattern before to_upper, so 'se' must match it to become 'SE'.
    country: Annotated[
        str,
        StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
        NO_CONTROLS,
    ] = Field(description="ISO 3166-1 alpha-2 country code")

    def one_line(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


class CustomerIdentifiers(BaseModel):
    """Who the customer is, as the merchant may know them. Email is how we reach the customer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: EmailStr
    first_name: NonEmpty | None = None
    last_name: NonEmpty | None = None
    postal_address: PostalAddress | None = None
    card_last4: str | None = Field(default=None, description="Last 4 digits of the payment card")
    extra: dict[str, NonEmpty] = Field(
        default_factory=dict,
        description="Named extra identifiers a merchant may require (customer_number, phone, ...)",
    )

    @field_validator("card_last4")
    @classmethod
    def _card_last4(cls, value: str | None) -> str | None:
        if value is not None and not _CARD_LAST4.fullmatch(value):
            raise ValueError("must be exactly four digits, such as '4242'")
        return value

    @field_validator("extra")
    @classmethod
    def _extra_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if any(0xD800 <= ord(char) <= 0xDFFF for char in name):
                # An unpaired surrogate cannot even be put into the refusal: not echoed.
                raise ValueError("an identifier name contains a character that is not text")
            if name in STANDARD_IDENTIFIERS:
                raise ValueError(f"'{name}' is a standard identifier; give it as its own field")
            validate_identifier_name(name)
        return value

    def value_of(self, name: str) -> str | None:
        """The identifier as text, or None when the customer did not give it."""
        if name == StandardIdentifier.POSTAL_ADDRESS:
            return self.postal_address.one_line() if self.postal_address else None
        if name in STANDARD_IDENTIFIERS:
            value = getattr(self, name)
            return None if value is None else str(value)
        return self.extra.get(name)
