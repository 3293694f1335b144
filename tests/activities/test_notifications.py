"""The customer's notification is a channel (#17.2): every wired channel is told, the first
one's receipt is what the case records, and a retry reaches each channel again, which says
whether it had already sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.email import EmailActivities
from activities.notifications import CustomerNotifications
from workers.mail_sink import MailSink

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NOTICE = contracts.CustomerNotificationInput(
    case_id="case-n",
    round=1,
    customer_email="anna@example.com",
    locale="en",
    merchant_display_name="Acme",
    subscription_name="Acme Premium",
    kind=contracts.CustomerNotificationKind.WITHDRAWN,
)


class SmsChannel:
    """A second channel as one would be written: idempotent on (case, round, kind)."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: dict[tuple[str, int, str], datetime] = {}

    async def notify_customer(
        self, input: contracts.CustomerNotificationInput
    ) -> contracts.EmailSent:
        key = (input.case_id, input.round, input.kind.value)
        already = key in self.sent
        self.sent.setdefault(key, NOW)
        return contracts.EmailSent(
            message_id=f"sms-{input.case_id}", sent_at=NOW, already_sent=already
        )


async def test_each_channel_is_told_and_the_first_receipt_is_the_cases(
    email_activities: EmailActivities, mail_sink: MailSink
) -> None:
    sms = SmsChannel()
    notifications = CustomerNotifications([email_activities, sms])
    receipt = await ActivityEnvironment().run(notifications.notify_customer, NOTICE)
    assert receipt.channel == "email"
    assert receipt.message_id == "<case-n.r1.customer-withdrawn@cancelflow.test>"
    assert len(mail_sink.messages) == 1
    assert [(r.channel, r.message_id, r.already_sent) for r in receipt.also] == [
        ("sms", "sms-case-n", False)
    ]
    # The case decodes it as the EmailSent it always recorded.
    assert contracts.EmailSent.model_validate_json(receipt.model_dump_json()).message_id == (
        receipt.message_id
    )
    again = await ActivityEnvironment().run(notifications.notify_customer, NOTICE)
    assert again.already_sent and again.also[0].already_sent
    assert len(mail_sink.messages) == 1


def test_a_notification_needs_a_channel() -> None:
    with pytest.raises(ValueError, match="channels"):
        CustomerNotifications([])
