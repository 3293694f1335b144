"""What each email says: subject, text and HTML bodies, headers. Pure: no I/O.

The Message-ID is derived from (case, round, kind), the same key as the outbox row, so a
resent email is recognisably the same message and reminders can thread onto the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from activities import contracts
from activities.rendering import Templates, format_duration, one_line
from domain.archive import CASE_WORKFLOW_ID_PREFIX
from domain.common import Locale
from domain.local_time import local_minute
from domain.reply_token import ReplyTokenSigner, case_reference
from domain.request import IdentifierLine

# Local parts of email addresses are limited to 64 characters (RFC 5321).
MAX_REPLY_TOKEN_IN_ADDRESS = 64


@dataclass(frozen=True)
class ComposedEmail:
    outbox_kind: str
    message_id: str
    to: list[str]
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def message_id_for(case_id: str, round: int, kind: str, domain: str) -> str:
    return f"<{case_id}.r{round}.{kind}@{domain}>"


_MERCHANT_SUBJECTS: dict[Locale, dict[contracts.MerchantEmailKind, str]] = {
    "en": {
        contracts.MerchantEmailKind.REQUEST: "Cancellation request {reference}: {subscription}",
        contracts.MerchantEmailKind.REMINDER: (
            "Reminder {reminder_number}: cancellation request {reference}: {subscription}"
        ),
        contracts.MerchantEmailKind.WITHDRAWAL: (
            "Withdrawn: cancellation request {reference}: {subscription}"
        ),
    },
    "sv": {
        contracts.MerchantEmailKind.REQUEST: "Uppsägningsbegäran {reference}: {subscription}",
        contracts.MerchantEmailKind.REMINDER: (
            "Påminnelse {reminder_number}: uppsägningsbegäran {reference}: {subscription}"
        ),
        contracts.MerchantEmailKind.WITHDRAWAL: (
            "Återkallad: uppsägningsbegäran {reference}: {subscription}"
        ),
    },
}

_CUSTOMER_SUBJECTS: dict[Locale, dict[contracts.CustomerNotificationKind, str]] = {
    "en": {
        contracts.CustomerNotificationKind.OUTCOME: (
            "Your cancellation of {subscription} with {merchant}"
        ),
        contracts.CustomerNotificationKind.WITHDRAWN: (
            "Your cancellation request for {subscription} has been withdrawn"
        ),
        contracts.CustomerNotificationKind.UNRESOLVED: (
            "Update on your cancellation of {subscription} with {merchant}"
        ),
    },
    "sv": {
        contracts.CustomerNotificationKind.OUTCOME: (
            "Din uppsägning av {subscription} hos {merchant}"
        ),
        contracts.CustomerNotificationKind.WITHDRAWN: (
            "Din begäran om uppsägning av {subscription} har återkallats"
        ),
        contracts.CustomerNotificationKind.UNRESOLVED: (
            "Uppdatering om din uppsägning av {subscription} hos {merchant}"
        ),
    },
}


class InvalidEmailInput(ValueError):
    """The workflow asked for an email that cannot be written (a bug, not a transient error)."""


class MessageComposer:
    def __init__(
        self,
        templates: Templates,
        links: ReplyTokenSigner,
        portal_base_url: str,
        message_id_domain: str,
        reply_domain: str,
        support_address: str,
        ops_address: str,
        ops_case_link: str | None = None,
    ) -> None:
        self._templates = templates
        self._links = links
        self._portal_base_url = portal_base_url.rstrip("/")
        self._message_id_domain = message_id_domain
        self._reply_domain = reply_domain
        self._support_address = support_address
        self._ops_address = ops_address
        self._ops_case_link = ops_case_link

    def _message_id(self, case_id: str, round: int, kind: str) -> str:
        return message_id_for(case_id, round, kind, self._message_id_domain)

    def merchant(
        self, input: contracts.MerchantEmailInput, reply_address: str | None = None
    ) -> ComposedEmail:
        """reply_address: where the merchant's email replies go (the mail gateway), if any."""
        if input.kind is contracts.MerchantEmailKind.REMINDER and input.reminder_number is None:
            raise InvalidEmailInput("reminder_number: required for a reminder")
        merchant = input.merchant
        locale = merchant.locale
        # A naive time would otherwise be read in the worker's zone, which differs per host.
        requested_at = (
            input.requested_at
            if input.requested_at.tzinfo is not None
            else input.requested_at.replace(tzinfo=UTC)
        )
        token = self._links.issue(
            input.case_id,
            merchant.merchant_id,
            input.round,
            self._links.expiry_for(requested_at),
        )
        reference = case_reference(input.case_id)
        # The merchant reads dates on its own calendar.
        zone = ZoneInfo(merchant.timezone)
        requested_on = requested_at.astimezone(zone).date()
        expected_by = input.answer_expected_by
        answer_by = expected_by.astimezone(zone).date() if expected_by is not None else None
        body = self._templates.render(
            locale,
            "merchant",
            kind=input.kind.value,
            reminder_number=input.reminder_number,
            merchant_name=merchant.display_name,
            reference=reference,
            subscription=input.subscription,
            identifiers=_configured_only(input),
            requested_on=requested_on,
            answer_by=answer_by,
            link=f"{self._portal_base_url}/r/{token}",
            settings_link=f"{self._portal_base_url}/merchant/sign-in?lang={locale}",
            support_address=self._support_address,
        )
        subject = _MERCHANT_SUBJECTS[locale][input.kind].format(
            reference=reference,
            subscription=input.subscription.name,
            reminder_number=input.reminder_number,
        )
        headers: dict[str, str] = {}
        if reply_address is not None:
            headers["Reply-To"] = reply_address
        elif len(token) <= MAX_REPLY_TOKEN_IN_ADDRESS:
            headers["Reply-To"] = f"reply+{token}@{self._reply_domain}"
        if input.kind is not contracts.MerchantEmailKind.REQUEST:
            original = self._message_id(input.case_id, input.round, "request")
            headers["In-Reply-To"] = original
            headers["References"] = original
        return ComposedEmail(
            outbox_kind=input.outbox_kind,
            message_id=self._message_id(input.case_id, input.round, input.outbox_kind),
            to=[str(address) for address in merchant.cancellation_emails],
            subject=one_line(subject),
            text=body.text,
            html=body.html,
            headers=headers,
        )

    def customer(self, input: contracts.CustomerNotificationInput) -> ComposedEmail:
        if input.kind is contracts.CustomerNotificationKind.OUTCOME and input.outcome is None:
            raise InvalidEmailInput("outcome: required for a customer notification of kind outcome")
        kind = f"customer-{input.kind.value}"
        body = self._templates.render(
            input.locale,
            "customer",
            kind=input.kind.value,
            outcome=input.outcome,
            first_name=input.customer_first_name,
            merchant_name=input.merchant_display_name,
            subscription_name=input.subscription_name,
            new_request_on=input.new_request_on,
            corrections_until=input.corrections_until,
        )
        subject = _CUSTOMER_SUBJECTS[input.locale][input.kind].format(
            subscription=input.subscription_name, merchant=input.merchant_display_name
        )
        return ComposedEmail(
            outbox_kind=kind,
            message_id=self._message_id(input.case_id, input.round, kind),
            to=[input.customer_email],
            subject=one_line(subject),
            text=body.text,
            html=body.html,
        )

    def ops(self, input: contracts.OpsNotificationInput, now: datetime) -> ComposedEmail:
        kind = f"ops-{input.kind.value}"
        waited = format_duration(now - input.waiting_since) if input.waiting_since else None
        zone = input.merchant_timezone or "UTC"
        workflow_id = f"{CASE_WORKFLOW_ID_PREFIX}{input.case_id}"
        case_link = (
            self._ops_case_link.format(workflow_id=quote(workflow_id, safe=""))
            if self._ops_case_link
            else None
        )
        body = self._templates.render(
            "en",
            "ops",
            kind=input.kind.value,
            case_id=input.case_id,
            round=input.round,
            reference=case_reference(input.case_id),
            merchant_id=input.merchant_id,
            merchant_name=input.merchant_display_name,
            waiting_since=input.waiting_since,
            local=lambda at: local_minute(at, zone),
            case_link=case_link,
            waited=waited,
            business_days_waited=input.business_days_waited,
            detail=input.detail,
        )
        subject = (
            f"[cancelflow] {input.kind.value}: case {input.case_id} ({input.merchant_display_name})"
        )
        return ComposedEmail(
            outbox_kind=kind,
            message_id=self._message_id(input.case_id, input.round, kind),
            to=[self._ops_address],
            subject=one_line(subject),
            text=body.text,
            html=body.html,
        )


def _configured_only(input: contracts.MerchantEmailInput) -> list[IdentifierLine]:
    """Defence in depth: whatever the caller passed, the merchant sees only what it configured."""
    configured = set(input.merchant.required_identifiers)
    return [line for line in input.identifiers if line.name in configured]
