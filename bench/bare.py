"""The bare counterparts: the least any engine must do for a case of the same shape.

BareCaseWorkflow: three activities (a lookup, the request email, the customer email), a
timer while it waits, and an Update that answers it, like the case on its happy path.
BareReminderWorkflow: a timer, then an activity that sends one email, like a reminder.
The emails go to the same SMTP sink as the case's, as plain text without templates or
outbox. Its own module, free of side effects: the workflow sandbox re-imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

BARE_DOMAIN = "bare.bench"
BARE_MERCHANT_ADDRESS = "merchant@bare.bench"
BARE_CUSTOMER_ADDRESS = "customer@bare.bench"
LOOKUP, REQUEST, NOTIFY, REMIND = "bare_lookup", "bare_request", "bare_notify", "bare_remind"
# Retries stay on (like the case's), so a retry would show in the history's attempt counts.
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
_TIMEOUT = timedelta(seconds=60)
# Longer than any run: the Update always comes first, as the answer does for a case.
ANSWER_WAIT = timedelta(days=3)


def bare_message(key: str, kind: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"bench@{BARE_DOMAIN}"
    message["To"] = to
    message["Subject"] = f"bare {kind}"
    message["Message-ID"] = f"<{key}.r1.{kind}@{BARE_DOMAIN}>"
    message.set_content(f"bare {kind} for {key}\n")
    return message


class BareActivities:
    """Activities that do the outside work of a case without our code around it."""

    def __init__(self, smtp_host: str, smtp_port: int) -> None:
        self._host = smtp_host
        self._port = smtp_port

    async def _send(self, message: EmailMessage) -> None:
        import aiosmtplib

        await aiosmtplib.send(message, hostname=self._host, port=self._port, timeout=30)

    @activity.defn(name=LOOKUP)
    async def lookup(self, key: str) -> str:
        return key

    @activity.defn(name=REQUEST)
    async def request(self, key: str) -> str:
        await self._send(bare_message(key, "request", BARE_MERCHANT_ADDRESS))
        return key

    @activity.defn(name=NOTIFY)
    async def notify(self, key: str) -> str:
        await self._send(bare_message(key, "customer-outcome", BARE_CUSTOMER_ADDRESS))
        return key

    @activity.defn(name=REMIND)
    async def remind(self, key: str) -> str:
        await self._send(bare_message(key, "reminder-1", BARE_MERCHANT_ADDRESS))
        return key

    def all(self) -> list[Callable[..., Any]]:
        return [self.lookup, self.request, self.notify, self.remind]


async def _step(name: str, key: str) -> str:
    result: str = await workflow.execute_activity(
        name, key, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY, result_type=str
    )
    return result


@workflow.defn(name="BareCase")
class BareCaseWorkflow:
    def __init__(self) -> None:
        self._answer: str | None = None

    @workflow.run
    async def run(self, key: str) -> str:
        await _step(LOOKUP, key)
        await _step(REQUEST, key)
        try:
            await workflow.wait_condition(lambda: self._answer is not None, timeout=ANSWER_WAIT)
        except TimeoutError:
            return "unanswered"
        await _step(NOTIFY, key)
        assert self._answer is not None
        return self._answer

    @workflow.update(name="answer")
    def answer(self, outcome: str) -> str:
        self._answer = self._answer or outcome
        return self._answer

    @answer.validator
    def _validate(self, outcome: str) -> None:
        if not outcome:
            raise ValueError("outcome: must not be empty")


@workflow.defn(name="BareReminder")
class BareReminderWorkflow:
    @workflow.run
    async def run(self, key: str, due_at: datetime) -> str:
        delay = due_at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        return await _step(REMIND, key)
