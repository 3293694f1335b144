"""Sending through a relay that demands STARTTLS and a login, as a production relay does."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.config import EmailSettings, SmtpSettings
from activities.email import EmailActivities
from domain.customer_outcome import CustomerOutcome, CustomerOutcomeKind
from domain.reply_token import ReplyTokenSigner
from storage.outbox import Outbox
from tests.helpers.emails import PORTAL_BASE_URL, customer_input
from tests.helpers.servers import free_port
from tests.helpers.tls import self_signed_certificate
from workers.mail_sink import MailFolderHandler, read_message

USER, PASSWORD = "cancelflow", "relay-password-1"


@dataclass
class Relay:
    host: str
    port: int
    ca_file: Path
    handler: MailFolderHandler
    logins: list[str] = field(default_factory=list)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    cert_file, key_file = self_signed_certificate(tmp_path, "127.0.0.1", "relay")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    relay = Relay("127.0.0.1", free_port(), cert_file, MailFolderHandler(tmp_path / "mail"))

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            relay.logins.append(USER)
        # handled=False: let aiosmtpd answer 535 itself.
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        relay.handler,
        hostname=relay.host,
        port=relay.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def _activities(relay: Relay, outbox: Outbox, password: str) -> EmailActivities:
    return EmailActivities(
        smtp=SmtpSettings(
            host=relay.host,
            port=relay.port,
            starttls=True,
            username=USER,
            password=SecretStr(password),
            ca_file=str(relay.ca_file),
            timeout_seconds=10,
        ),
        email=EmailSettings(message_id_domain="cancelflow.test"),
        links=ReplyTokenSigner("a-test-secret-of-enough-length"),
        portal_base_url=PORTAL_BASE_URL,
        outbox=outbox,
    )


async def test_sends_over_starttls_with_the_configured_login(relay: Relay, outbox: Outbox) -> None:
    email = customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    sent = await ActivityEnvironment().run(
        _activities(relay, outbox, PASSWORD).notify_customer, email
    )
    assert relay.logins == [USER]
    [received] = relay.handler.received
    assert read_message(received.path)["Message-ID"] == sent.message_id


async def test_a_wrong_password_is_retried_not_sent(relay: Relay, outbox: Outbox) -> None:
    email = customer_input("en", CustomerOutcome(kind=CustomerOutcomeKind.NOT_FOUND))
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await ActivityEnvironment().run(
            _activities(relay, outbox, "wrong-password").notify_customer, email
        )
    assert relay.handler.received == []
    record = await outbox.get(email.case_id, 1, "customer-outcome")
    assert record is not None and record.status == "sending"
