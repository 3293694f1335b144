"""Emails a merchant its settings sign-in link, through the same SMTP relay as the cases."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from activities.config import EmailSettings
from activities.smtp import SmtpSender

_TEXT = {
    "en": (
        "Sign in to your {merchant} settings",
        "Hello,\n\nSomeone (hopefully you) asked to sign in to the cancellation settings of "
        "{merchant}. Open this link within {minutes} minutes; it works once:\n\n{link}\n\n"
        "If you did not ask for it, ignore this email.\n",
    ),
    "sv": (
        "Logga in till inställningarna för {merchant}",
        "Hej,\n\nNågon (förhoppningsvis du) bad om att logga in till "
        "uppsägningsinställningarna för {merchant}. Öppna länken inom {minutes} minuter; "
        "den fungerar en gång:\n\n{link}\n\nOm du inte bad om detta kan du bortse från "
        "meddelandet.\n",
    ),
}


class SmtpSignInMailer:
    def __init__(self, sender: SmtpSender, email: EmailSettings) -> None:
        self._sender = sender
        self._email = email

    async def send_sign_in_link(
        self, to: str, merchant_name: str, link: str, locale: str, valid_minutes: int
    ) -> None:
        subject, body = _TEXT.get(locale, _TEXT["en"])
        message = EmailMessage()
        # The merchant's own display name, on one line: it must not start new headers.
        name = " ".join(merchant_name.split())
        message["Subject"] = subject.format(merchant=name)
        message["From"] = self._email.from_address
        message["To"] = to
        message["Message-ID"] = make_msgid(domain=self._email.message_id_domain)
        message.set_content(body.format(merchant=name, minutes=valid_minutes, link=link))
        await self._sender.send(message)
