"""An older case whose text carries hidden characters (accepted before #16.8): its merchant
email shows each one written out, in the subject and in both bodies, instead of obeying it."""

from __future__ import annotations

from activities import contracts
from activities.messages import MessageComposer
from activities.rendering import Templates
from domain.reply_token import ReplyTokenSigner
from domain.request import IdentifierLine, Subscription
from domain.text import reading_recorded_text
from tests.helpers.emails import REQUESTED_AT, merchant

OVERRIDE = "\u202e"


def test_the_merchant_email_writes_hidden_characters_out() -> None:
    with reading_recorded_text():
        subscription = Subscription(name=f"Anna{OVERRIDE}gpj.exe")
        identifiers = [
            IdentifierLine(name="first_name", value=f"Anna{OVERRIDE}\u2066x\u2069"),
            IdentifierLine(name="last_name", value="Lind\u200bqvist"),
        ]
    composer = MessageComposer(
        Templates(),
        ReplyTokenSigner("a-test-secret-of-enough-length-0123456789"),
        "https://portal.cancelflow.test",
        "cancelflow.test",
        "reply.cancelflow.test",
        "support@cancelflow.test",
        "ops@cancelflow.test",
    )
    email = composer.merchant(
        contracts.MerchantEmailInput(
            case_id="case-hidden-1",
            round=1,
            kind=contracts.MerchantEmailKind.REQUEST,
            merchant=merchant(required=["email", "first_name", "last_name"]),
            subscription=subscription,
            identifiers=identifiers,
            requested_at=REQUESTED_AT,
        )
    )
    for text in (email.subject, email.text, email.html):
        assert OVERRIDE not in text and "\u2066" not in text and "\u200b" not in text
    assert "Anna[U+202E]gpj.exe" in email.subject
    assert "Anna[U+202E]gpj.exe" in email.text and "Anna[U+202E]gpj.exe" in email.html
    assert "Anna[U+202E][U+2066]x[U+2069]" in email.text
    assert "Lind[U+200B]qvist" in email.html
