from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from domain.common import Locale, Slug, TimeZoneName
from domain.customer import StandardIdentifier, validate_identifier_name
from domain.text import NO_CONTROLS, Line200

# NO_CONTROLS first (listed last): the name is echoed in the refusal, which must be printable.
IdentifierName = Annotated[str, AfterValidator(validate_identifier_name), NO_CONTROLS]


class ResponsePolicy(BaseModel):
    """When we chase a merchant that has not answered, in business days since the request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_reminder_after: int = Field(default=3, ge=1, le=60)
    second_reminder_after: int = Field(default=6, ge=1, le=90)
    escalate_after: int = Field(default=10, ge=1, le=120)
    # After escalation the merchant keeps getting a reminder this often until it answers.
    repeat_reminder_every: int = Field(default=10, ge=1, le=60)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not (self.first_reminder_after < self.second_reminder_after < self.escalate_after):
            raise ValueError(
                "must satisfy first_reminder_after < second_reminder_after < escalate_after"
            )
        return self


class NotifyBy(StrEnum):
    """How the merchant hears about requests, reminders, withdrawals and recorded answers."""

    EMAIL = "email"
    WEBHOOK = "webhook"
    EMAIL_AND_WEBHOOK = "email_and_webhook"


DEFAULT_IDENTIFIERS: tuple[str, ...] = (
    StandardIdentifier.EMAIL,
    StandardIdentifier.FIRST_NAME,
    StandardIdentifier.LAST_NAME,
)


class Merchant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    merchant_id: Slug
    display_name: Line200
    cancellation_emails: list[EmailStr] = Field(min_length=1, max_length=10)
    required_identifiers: list[IdentifierName] = Field(
        default_factory=lambda: list(DEFAULT_IDENTIFIERS), min_length=1
    )
    locale: Locale = "en"
    timezone: TimeZoneName = "Europe/Stockholm"
    # pydantic checks the pattern before to_upper, so 'se' must match it to become 'SE'.
    country: Annotated[
        str,
        StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
        NO_CONTROLS,
    ] = "SE"
    notice_period_days: int = Field(default=30, ge=0, le=365)
    response_policy: ResponsePolicy = Field(default_factory=ResponsePolicy)
    notify_by: NotifyBy = Field(
        default=NotifyBy.EMAIL,
        description="webhook: the registered endpoints instead of the emails; "
        "email_and_webhook: both",
    )

    # Email replies that record themselves (#19): off unless the merchant opts in. Only a
    # verified sender's reply whose reading is above the threshold, and never "other reason".
    auto_record_replies: bool = Field(
        default=False,
        description="record a verified email reply's suggested answer without a person",
    )
    auto_record_threshold: float = Field(
        default=0.9,
        ge=0.5,
        le=0.99,
        description="the reader's confidence a reply must be above to record itself",
    )

    @property
    def wants_email(self) -> bool:
        return self.notify_by is not NotifyBy.WEBHOOK

    @property
    def wants_webhooks(self) -> bool:
        return self.notify_by is not NotifyBy.EMAIL

    @model_validator(mode="after")
    def _unique_identifiers(self) -> Self:
        seen: set[str] = set()
        for name in self.required_identifiers:
            if name in seen:
                raise ValueError(f"required_identifiers: lists '{name}' twice")
            seen.add(name)
        return self
