"""Delivery over real SMTP, with the one failure retrying cannot fix made non-retryable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import aiosmtplib
import structlog
from temporalio.exceptions import ApplicationError

from activities import contracts
from activities.config import SmtpSettings

log = structlog.get_logger()

# Retryable: a 4xx on RCPT (greylisting, full mailbox) usually clears up.
RECIPIENTS_DEFERRED = "RecipientsDeferred"


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        if not settings.host:
            raise ValueError("smtp.host: required to send email (cancelflow dev sets it)")
        self._settings = settings

    async def send(
        self, message: EmailMessage, on_accepted: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        """Deliver or raise: ADDRESS_REJECTED (non-retryable) when every recipient got a 5xx.

        on_accepted runs as soon as the relay's reply to DATA says it took the message, before
        QUIT: what the caller records there survives a connection that fails afterwards.
        """
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            use_tls=settings.use_tls,
            start_tls=settings.starttls,
            cert_bundle=settings.ca_file,
            timeout=settings.timeout_seconds,
        )
        await smtp.connect()
        try:
            refused, _ = await smtp.send_message(message)
            if on_accepted is not None:
                await on_accepted()
        except aiosmtplib.SMTPRecipientsRefused as err:
            # Codes only, and no exception chain: the server's text usually quotes the address,
            # and Temporal records the message and its causes in history and worker logs.
            codes = sorted({r.code for r in err.recipients})
            listed = ", ".join(map(str, codes))
            if all(500 <= code < 600 for code in codes):
                raise ApplicationError(
                    f"the mail server rejected every recipient (SMTP {listed})",
                    type=contracts.ADDRESS_REJECTED,
                    non_retryable=True,
                ) from None
            raise ApplicationError(
                f"the mail server refused the recipients for now (SMTP {listed})",
                type=RECIPIENTS_DEFERRED,
            ) from None
        finally:
            await _quit(smtp)
        if refused:
            # Delivered to the others; whoever is left out is in the outbox row's recipient list.
            log.warning(
                "email.some_recipients_refused",
                refused_count=len(refused),
                codes=sorted({response.code for response in refused.values()}),
            )


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    """Say goodbye if the connection still allows it: the message's fate is already known."""
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        smtp.close()
