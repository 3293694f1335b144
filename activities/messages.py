"""What each email says: subject, text and HTML bodies, headers. Pure: no I/O.

The Message-ID is derived from (case, round, kind), the same key as the outbox row, so a
resent email is recognisably the same message and reminders can thread onto the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from string import Formatter
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from activities import contracts
from activities.rendering import Templates, format_duration, one_line
from domain.archive import CASE_WORKFLOW_ID_PREFIX
from domain.common import Locale
from domain.local_time import local_minute
from domain.outcomes import BY_CUSTOMER_KIND
from domain.reply_token import ReplyTokenSigner, case_reference
from domain.request import IdentifierLine
from domain.wording import CORRECTIONS_CHANNEL, QUOTES, format_date

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

# The outcomes' subjects are theirs (domain/outcomes.py); these are the two other notices'.
_NOTICE_SUBJECTS: dict[Locale, dict[contracts.CustomerNotificationKind, str]] = {
    "en": {
        contracts.CustomerNotificationKind.WITHDRAWN: (
            "Your cancellation request for {subscription} has been withdrawn ({reference})"
        ),
        contracts.CustomerNotificationKind.UNRESOLVED: (
            "Update on your cancellation of {subscription} with {merchant} ({reference})"
        ),
    },
    "sv": {
        contracts.CustomerNotificationKind.WITHDRAWN: (
            "Din begäran om uppsägning av {subscription} har återkallats ({reference})"
        ),
        contracts.CustomerNotificationKind.UNRESOLVED: (
            "Uppdatering om din uppsägning av {subscription} hos {merchant} ({reference})"
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
        corrections_page: str | None = None,
    ) -> None:
        self._templates = templates
        self._links = links
        self._portal_base_url = portal_base_url.rstrip("/")
        self._message_id_domain = message_id_domain
        self._reply_domain = reply_domain
        self._support_address = support_address
        self._ops_address = ops_address
        self._ops_case_link = ops_case_link
        # Where customers correct their details (the service's own page); None: by email.
        self._corrections_page = corrections_page

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
        reference = case_reference(input.case_id)
        wording = _CustomerWording(input, reference, self._support_address, self._corrections_page)
        body = self._templates.render(
            input.locale,
            "customer",
            kind=input.kind.value,
            first_name=input.customer_first_name,
            merchant_name=input.merchant_display_name,
            subscription_name=input.subscription_name,
            outcome_text=wording.text() if input.outcome else "",
            outcome_html=wording.html() if input.outcome else "",
            reference=reference,
            support_address=self._support_address,
        )
        return ComposedEmail(
            outbox_kind=kind,
            message_id=self._message_id(input.case_id, input.round, kind),
            to=[input.customer_email],
            subject=one_line(wording.subject()),
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


class _CustomerWording:
    """An outcome's subject and text for the customer (domain/outcomes.py), filled in:
    names escaped for HTML, dates in the customer's language."""

    def __init__(
        self,
        input: contracts.CustomerNotificationInput,
        reference: str,
        support: str,
        corrections_page: str | None,
    ) -> None:
        self._input = input
        self._locale = input.locale
        outcome = input.outcome
        self._spec = BY_CUSTOMER_KIND[outcome.kind] if outcome is not None else None
        channel = CORRECTIONS_CHANNEL[self._locale]["page" if corrections_page else "support"]
        self._values: dict[str, str | None] = {
            "merchant": input.merchant_display_name,
            "reference": reference,
            "support": support,
            "date": self._date(outcome.effective_date if outcome else None),
            "new_request_on": self._date(input.new_request_on),
            "corrections_until": self._date(input.corrections_until),
            "corrections_channel": channel.format(
                page=corrections_page, support=support, reference=reference
            ),
        }

    def _date(self, value: date | None) -> str | None:
        return format_date(value, self._locale) if value is not None else None

    def subject(self) -> str:
        name = self._input.subscription_name
        if self._spec is None:
            template = _NOTICE_SUBJECTS[self._locale][self._input.kind]
        else:
            template = self._spec.customer.subject[self._locale]
        return template.format(subscription=name, **self._complete(template))

    def text(self) -> str:
        template = self._body()
        return template.format(
            subscription=f'"{self._input.subscription_name}"', **self._complete(template)
        )

    def html(self) -> Markup:
        template = self._body()
        opening, closing = QUOTES[self._locale]
        quoted = Markup(opening) + escape(self._input.subscription_name) + Markup(closing)
        return escape(template).format(subscription=quoted, **self._complete(template))

    def _body(self) -> str:
        assert self._spec is not None
        wording = self._spec.customer
        body = wording.body[self._locale]
        if self._missing(body) and wording.undated is not None:
            return wording.undated[self._locale]
        return body

    def _missing(self, template: str) -> list[str]:
        return [
            name
            for _, name, _, _ in Formatter().parse(template)
            if name and name != "subscription" and self._values.get(name) is None
        ]

    def _complete(self, template: str) -> dict[str, str]:
        missing = self._missing(template)
        if missing:
            raise InvalidEmailInput(f"{', '.join(missing)}: required for this customer email")
        return {k: v for k, v in self._values.items() if v is not None}
