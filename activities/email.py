"""The email activities: compose, claim in the outbox, send over SMTP, mark sent.

Logs carry case, round, kind and Message-ID only: never recipients or customer details.
"""

from __future__ import annotations

import random
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import Policy
from email.policy import default as default_policy
from email.utils import format_datetime
from typing import Any, Protocol

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import contracts
from activities.config import EmailSettings, SmtpSettings
from activities.messages import ComposedEmail, InvalidEmailInput, MessageComposer
from activities.notifications import CustomerChannel, CustomerNotifications
from activities.rendering import Templates
from activities.smtp import SmtpSender
from domain.reply_token import ReplyTokenSigner
from storage.outbox import Outbox, OutboxEntry
from storage.reply_addresses import ReplyAddresses, ReplyRegistration

INVALID_EMAIL_INPUT = contracts.INVALID_EMAIL_INPUT


_SAME_IN_EVERY_EMAIL = frozenset(
    {"from", "auto-submitted", "mime-version", "content-type", "content-transfer-encoding"}
)


class _FoldedOnce(BaseHeader):
    """A header parsed once per process, folded once per policy: a policy is its type and its
    attributes (what clone() copies), so two equal ones fold a header alike."""

    _folds: dict[tuple[object, ...], str]

    def fold(self, *, policy: Policy) -> str:
        try:
            key = (type(policy), *sorted(vars(policy).items()))
            folded = self._folds.get(key)
        except TypeError:  # an unhashable attribute: fold as email does
            return super().fold(policy=policy)
        if folded is None:
            folded = super().fold(policy=policy)
            if len(self._folds) < 8:
                self._folds[key] = folded
        return folded


class _HeaderClasses(HeaderRegistry):
    """The standard registry, creating each header's class once per process: the standard one
    creates a new class for every header set or counted, a fifth of building a message."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._folded_classes: dict[str, type[_FoldedOnce]] = {}
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        # Parsing a header is most of building a message; half of a message's headers (the
        # sender, the MIME parts' types and encodings) are the same in every email, so each is
        # parsed once. Parsed headers are read-only; short ones are never refolded.
        if name.lower() not in _SAME_IN_EVERY_EMAIL or len(value) > 76 or "boundary" in value:
            return super().__call__(name, value)
        header = self._parsed.get((name, value))
        if header is None:
            if len(self._parsed) >= 64:
                return super().__call__(name, value)
            key = name.lower()
            cls = self._folded_classes.get(key)
            if cls is None:
                cls = self._folded_classes[key] = type(
                    "_Folded" + self[name].__name__, (_FoldedOnce, self[name]), {}
                )
            folded = cls(name, value)
            folded._folds = {}
            header = self._parsed[(name, value)] = folded
        return header


# email's default policy (what EmailMessage() uses), with the cached header classes.
_POLICY = default_policy.clone(header_factory=_HeaderClasses())


_MerchantEmailActivity = Callable[
    ["EmailActivities", contracts.MerchantEmailInput], Awaitable[contracts.EmailSent]
]


class _SendsMerchantEmail(Protocol):
    async def _merchant_email(
        self, input: contracts.MerchantEmailInput, expected: contracts.MerchantEmailKind
    ) -> contracts.EmailSent: ...


def _merchant_email_activity(kind: contracts.MerchantEmailKind) -> _MerchantEmailActivity:
    async def send(
        self: _SendsMerchantEmail, input: contracts.MerchantEmailInput
    ) -> contracts.EmailSent:
        return await self._merchant_email(input, kind)

    send.__name__ = kind.activity
    # The SDK takes an annotated first parameter for an argument; only a bare self is skipped.
    del send.__annotations__["self"]
    return activity.defn(name=kind.activity)(send)


class EmailActivities:
    def __init__(
        self,
        smtp: SmtpSettings,
        email: EmailSettings,
        links: ReplyTokenSigner,
        portal_base_url: str,
        outbox: Outbox,
        reply_addresses: ReplyAddresses | None = None,
        sender: SmtpSender | None = None,
    ) -> None:
        # Registers each case's reply+<token> address for the mail gateway (Reply-To).
        self._reply_addresses = reply_addresses
        # A worker shares one sender, so its connection limit holds for the whole process.
        self._sender = sender or SmtpSender(smtp)
        self._from_address = email.from_address
        self._outbox = outbox
        self._composer = MessageComposer(
            templates=Templates(),
            links=links,
            portal_base_url=portal_base_url,
            message_id_domain=email.message_id_domain,
            reply_domain=email.reply_domain,
            support_address=email.support_address,
            ops_address=email.ops_address,
            ops_case_link=email.ops_case_link,
            corrections_page=email.corrections_page,
        )

    def activities(
        self, customer_channels: Sequence[CustomerChannel] | None = None
    ) -> Sequence[Callable[..., Any]]:
        """Everything to register on a worker; the customer is told through customer_channels
        (default: this email alone)."""
        customers = CustomerNotifications(customer_channels or [self])
        return [
            self.send_merchant_request,
            self.send_merchant_reminder,
            self.send_merchant_withdrawal,
            customers.notify_customer,
            self.notify_ops,
        ]

    # One activity type per kind of merchant email (names kept from the first release), one body.
    send_merchant_request = _merchant_email_activity(contracts.MerchantEmailKind.REQUEST)
    send_merchant_reminder = _merchant_email_activity(contracts.MerchantEmailKind.REMINDER)
    send_merchant_withdrawal = _merchant_email_activity(contracts.MerchantEmailKind.WITHDRAWAL)

    @property
    def name(self) -> str:
        return "email"

    async def notify_customer(
        self, input: contracts.CustomerNotificationInput
    ) -> contracts.EmailSent:
        """The email channel of the customer's notification (activities/notifications.py)."""
        with _invalid_input_is_final():
            composed = self._composer.customer(input)
        return await self._deliver(input.case_id, input.round, composed, audience="customer")

    @activity.defn(name=contracts.NOTIFY_OPS)
    async def notify_ops(self, input: contracts.OpsNotificationInput) -> contracts.EmailSent:
        composed = self._composer.ops(input, now=datetime.now(UTC))
        return await self._deliver(input.case_id, input.round, composed, audience="ops")

    async def _merchant_email(
        self, input: contracts.MerchantEmailInput, expected: contracts.MerchantEmailKind
    ) -> contracts.EmailSent:
        # The address's row is written with the outbox claim, before the send (one statement).
        reply_to = (
            self._reply_addresses.registration(input.case_id, input.merchant.merchant_id)
            if self._reply_addresses is not None
            else None
        )
        with _invalid_input_is_final():
            if input.kind is not expected:
                raise InvalidEmailInput(
                    f"kind: this activity sends a merchant {expected.value}, not {input.kind.value}"
                )
            composed = self._composer.merchant(
                input, reply_address=None if reply_to is None else reply_to.address
            )
        return await self._deliver(
            input.case_id,
            input.round,
            composed,
            audience="merchant",
            merchant_id=input.merchant.merchant_id,
            reply_to=reply_to,
        )

    async def _deliver(
        self,
        case_id: str,
        round: int,
        composed: ComposedEmail,
        audience: str,
        merchant_id: str | None = None,
        reply_to: ReplyRegistration | None = None,
    ) -> contracts.EmailSent:
        log = structlog.get_logger().bind(
            case_id=case_id,
            round=round,
            kind=composed.outbox_kind,
            message_id=composed.message_id,
            audience=audience,
            attempt=activity.info().attempt,
            **({"merchant_id": merchant_id} if merchant_id else {}),
        )
        entry = OutboxEntry(
            case_id=case_id,
            round=round,
            kind=composed.outbox_kind,
            message_id=composed.message_id,
            recipient=", ".join(composed.to),
            subject=composed.subject,
            reply_to=reply_to,
        )
        # The sender's turn first, then the claim: an email waiting for a free SMTP connection
        # holds no database connection or row lock meanwhile, so emails due together do not
        # queue for the database behind each other's sends.
        async with (
            self._sender.turn(),
            _refused_values_are_final(),
            self._outbox.claim(entry) as claim,
        ):
            if claim.sent_at is not None:
                log.info("email.already_sent", sent_at=claim.sent_at.isoformat())
                return contracts.EmailSent(
                    message_id=composed.message_id, sent_at=claim.sent_at, already_sent=True
                )
            try:
                # 'sent' is committed the moment the relay accepts, before QUIT (see outbox).
                await self._sender.send_in_turn(
                    self._message(composed), on_accepted=claim.mark_sent
                )
            except ApplicationError as err:
                log.warning("email.rejected", error_type=err.type, error=err.message)
                raise
            except Exception as err:
                # Retried by Temporal; the type is enough to diagnose, the text may hold addresses.
                log.warning("email.send_failed", error_type=type(err).__name__)
                raise
            sent_at = claim.sent_at
            assert sent_at is not None, "the sender returned without the relay's acceptance"
        log.info("email.sent")
        return contracts.EmailSent(message_id=composed.message_id, sent_at=sent_at)

    def _message(self, composed: ComposedEmail) -> EmailMessage:
        message = EmailMessage(policy=_POLICY)
        message["From"] = self._from_address
        message["To"] = ", ".join(composed.to)
        message["Subject"] = composed.subject
        message["Message-ID"] = composed.message_id
        message["Date"] = format_datetime(datetime.now(UTC))
        # Keeps out-of-office replies away from automated mail (RFC 3834).
        message["Auto-Submitted"] = "auto-generated"
        for name, value in composed.headers.items():
            message[name] = value
        message.set_content(composed.text)
        message.add_alternative(composed.html, subtype="html")
        boundary = _boundary(composed)
        if boundary is not None:
            # The header email's generator would write for this boundary, without its search
            # (a regular expression compiled for every message).
            message.replace_header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
        return message


_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def _boundary(composed: ComposedEmail) -> str | None:
    """A boundary as email's generator makes one (random), if no part holds it: 7bit and 8bit
    bodies are the text itself, and quoted-printable and base64 write no run of '='."""
    boundary = f"{'=' * 15}{random.randrange(sys.maxsize):0{_BOUNDARY_DIGITS}d}=="
    if boundary in composed.text or boundary in composed.html:
        return None  # left to the generator, which picks another
    return boundary


@asynccontextmanager
async def _refused_values_are_final() -> AsyncIterator[None]:
    """A value PostgreSQL refuses (a NUL, an invalid byte sequence, an over-long string)
    fails the same way on every retry: fail the case visibly instead of retrying forever."""
    try:
        yield
    except asyncpg.DataError as err:
        raise ApplicationError(
            f"the email could not be recorded in the outbox: {type(err).__name__} "
            f"(SQLSTATE {err.sqlstate})",
            type=INVALID_EMAIL_INPUT,
            non_retryable=True,
        ) from err


@contextmanager
def _invalid_input_is_final() -> Iterator[None]:
    """Turns InvalidEmailInput into a non-retryable failure: retrying cannot fix the input."""
    try:
        yield
    except InvalidEmailInput as err:
        raise ApplicationError(str(err), type=INVALID_EMAIL_INPUT, non_retryable=True) from err
