"""Telling the customer: the notify_customer activity, through each wired channel.

A channel is a way to reach the customer (email today). An SMS or a push to the cancellation
service's app is one class with `name` and `notify_customer`, and one entry in the channel
list of workers/wiring.py. The first channel is the case's record: its receipt is what the
case keeps (state.emails), as before channels existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from temporalio import activity

from activities import contracts


class CustomerChannel(Protocol):
    """One way of telling the customer what happened to their case."""

    @property
    def name(self) -> str:
        """Names the channel in the receipt and the metrics (email, sms, push)."""
        ...

    async def notify_customer(
        self, input: contracts.CustomerNotificationInput
    ) -> contracts.EmailSent:
        """Send the notice once: a retried activity calls every channel again, so a channel
        recognises (case, round, kind) it already sent and says so (already_sent)."""
        ...


class CustomerNotifications:
    def __init__(self, channels: Sequence[CustomerChannel]) -> None:
        if not channels:
            raise ValueError("channels: at least one way to reach the customer is needed")
        self._channels = tuple(channels)

    @activity.defn(name=contracts.NOTIFY_CUSTOMER)
    async def notify_customer(
        self, input: contracts.CustomerNotificationInput
    ) -> contracts.CustomerNotified:
        receipts = [
            contracts.CustomerNotified(
                **(await channel.notify_customer(input)).model_dump(), channel=channel.name
            )
            for channel in self._channels
        ]
        first, *others = receipts
        return first.model_copy(update={"also": others})
