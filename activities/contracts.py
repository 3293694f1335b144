"""The activity interface the workflow depends on: names and typed inputs/outputs, no I/O.

Workflows import this module only; implementations live beside it and register under
these names, so tests can register their own functions under the same names.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.common import Locale
from domain.customer_outcome import CustomerOutcome
from domain.digest import DigestReport, OpenCase  # noqa: F401 - part of the interface
from domain.merchant import Merchant
from domain.request import IdentifierLine, Subscription
from domain.webhooks import WebhookEvent

LOAD_MERCHANT = "load_merchant"
NOTIFY_CUSTOMER = "notify_customer"
NOTIFY_OPS = "notify_ops"
COLLECT_OPEN_CASES = "collect_open_cases"
SEND_OPS_DIGEST = "send_ops_digest"
DELIVER_WEBHOOK = "deliver_webhook"
REPORT_WEBHOOK_FAILURE = "report_webhook_failure"

# ApplicationError types that retrying cannot fix; the workflow turns them into a failed case.
UNKNOWN_MERCHANT = "UnknownMerchant"
ADDRESS_REJECTED = "AddressRejected"
INVALID_EMAIL_INPUT = "InvalidEmailInput"
NON_RETRYABLE_ERROR_TYPES = [UNKNOWN_MERCHANT, ADDRESS_REJECTED, INVALID_EMAIL_INPUT]


class LoadMerchantInput(BaseModel):
    merchant_id: str


class MerchantEmailKind(StrEnum):
    REQUEST = "request"
    REMINDER = "reminder"
    WITHDRAWAL = "withdrawal"

    @property
    def activity(self) -> str:
        """The activity type that sends this email: one activity type per kind, so each
        shows by name in the UI and in histories (send_merchant_request, ...)."""
        return f"send_merchant_{self.value}"


SEND_MERCHANT_REQUEST = MerchantEmailKind.REQUEST.activity
SEND_MERCHANT_REMINDER = MerchantEmailKind.REMINDER.activity
SEND_MERCHANT_WITHDRAWAL = MerchantEmailKind.WITHDRAWAL.activity


class MerchantEmailInput(BaseModel):
    """Everything a merchant email may show: only the identifiers this merchant receives."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    round: int = Field(ge=1)
    kind: MerchantEmailKind
    reminder_number: int | None = Field(default=None, ge=1)
    merchant: Merchant
    subscription: Subscription
    identifiers: list[IdentifierLine]
    requested_at: datetime
    answer_expected_by: datetime | None = Field(
        default=None,
        description="When the next reminder (or escalation) is due: the answer is expected before",
    )
    resend_number: int | None = Field(
        default=None, ge=1, description="A request sent again by ops: the how-manieth resend"
    )

    @property
    def outbox_kind(self) -> str:
        """Part of the outbox key and Message-ID: one email per (case, round, outbox_kind)."""
        if self.kind is MerchantEmailKind.REMINDER:
            return f"reminder-{self.reminder_number}"
        if self.kind is MerchantEmailKind.REQUEST and self.resend_number is not None:
            # Its own outbox row: the first request's row would otherwise say "already sent".
            return f"request-resend-{self.resend_number}"
        return self.kind.value


class EmailSent(BaseModel):
    message_id: str
    sent_at: datetime
    already_sent: bool = Field(
        default=False, description="True when a retry found the email already sent (outbox)"
    )


class CustomerNotified(EmailSent):
    """notify_customer's receipt: the first channel's (email's) fields, so a case decodes it
    as the EmailSent it always recorded, plus the channel and the other channels' receipts."""

    channel: str = "email"
    also: list[CustomerNotified] = Field(default_factory=list)


class CustomerNotificationKind(StrEnum):
    OUTCOME = "outcome"
    WITHDRAWN = "withdrawn"
    UNRESOLVED = "unresolved"


class CustomerNotificationInput(BaseModel):
    """What the customer is told: no merchant free text can be carried here."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    round: int = Field(ge=1)
    kind: CustomerNotificationKind = CustomerNotificationKind.OUTCOME
    customer_email: str
    customer_first_name: str | None = None
    locale: Locale
    merchant_display_name: str
    subscription_name: str
    outcome: CustomerOutcome | None = None
    new_request_on: date | None = None
    """Binding contract: the day the new cancellation request goes out (merchant's calendar)."""
    corrections_until: date | None = None
    """No subscription found: the last day corrected details are taken."""


class OpsNotificationKind(StrEnum):
    ESCALATION = "escalation"
    OTHER_REASON = "other-reason"
    EMAIL_REPLY = "email-reply"
    DIGEST = "digest"


class OpsNotificationInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    round: int = Field(ge=1)
    kind: OpsNotificationKind
    merchant_id: str
    merchant_display_name: str
    waiting_since: datetime | None = None
    merchant_timezone: str | None = Field(
        default=None, description="Times in the ops email are shown on the merchant's clock"
    )
    business_days_waited: int | None = None
    detail: str | None = Field(default=None, description="For ops only; may hold merchant text")


class CollectOpenCasesInput(BaseModel):
    workflow_type: str = "CancellationWorkflow"


class OpsDigestInput(BaseModel):
    report: DigestReport
    digest_date: date


class WebhookDeliveryInput(BaseModel):
    """One event for all of a merchant's endpoints. The event holds customer identifiers:
    like an email's input it travels encrypted by the payload codec."""

    model_config = ConfigDict(frozen=True)

    merchant_id: str
    event: WebhookEvent
    # Webhook-only merchants must not lose an event because no endpoint is registered yet:
    # the activity then keeps retrying until one is.
    required: bool = False


class WebhookDelivered(BaseModel):
    event_id: str
    delivered_to: list[str] = Field(description="Endpoint ids that took the event (2xx)")
    already_delivered: list[str] = Field(default_factory=list)


class WebhookFailureInput(BaseModel):
    """A delivery that gave up, for ops: ids, times and our error text, not the event's data."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    merchant_id: str
    case_id: str
    started_at: datetime
    gave_up_at: datetime
    last_error: str = Field(max_length=2000)
