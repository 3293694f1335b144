"""The deliver_webhook activity: one event to each of the merchant's live endpoints.

Each (event, endpoint) that answered 2xx is recorded, so a retried activity posts only to
the endpoints still owed the event. A failure raises, and the activity's retry policy
(set by the workflow) backs off and tries again. Logs hold ids and status codes only.
"""

from __future__ import annotations

from datetime import UTC

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import contracts
from domain.reply_token import ReplyTokenSigner
from domain.webhooks import EventType, WebhookEvent
from integrations.webhooks import PostResult, WebhookSender
from storage.webhooks import WebhookDeliveries, WebhookEndpoints

log = structlog.get_logger("cancelflow.webhooks")

WEBHOOK_NOT_DELIVERED = "WebhookNotDelivered"
_WITH_REPLY_LINK = (EventType.REQUESTED, EventType.REMINDER)


class WebhookActivities:
    def __init__(
        self,
        endpoints: WebhookEndpoints,
        deliveries: WebhookDeliveries,
        sender: WebhookSender,
        links: ReplyTokenSigner,
        portal_base_url: str,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._sender = sender
        self._links = links
        self._portal_base_url = portal_base_url.rstrip("/")

    def with_reply_url(self, event: WebhookEvent) -> WebhookEvent:
        """The reply link is made here, as for the email, so it never enters the history."""
        if event.type not in _WITH_REPLY_LINK:
            return event
        data = event.data
        requested_at = data.requested_at
        if requested_at.tzinfo is None:
            requested_at = requested_at.replace(tzinfo=UTC)
        token = self._links.issue(
            data.case_id, data.merchant_id, data.round, self._links.expiry_for(requested_at)
        )
        reply_url = f"{self._portal_base_url}/r/{token}"
        return event.model_copy(update={"data": data.model_copy(update={"reply_url": reply_url})})

    @activity.defn(name=contracts.DELIVER_WEBHOOK)
    async def deliver_webhook(
        self, input: contracts.WebhookDeliveryInput
    ) -> contracts.WebhookDelivered:
        event = self.with_reply_url(input.event)
        body = event.model_dump_json().encode()
        bound = log.bind(
            event_id=event.id,
            event_type=event.type.value,
            merchant_id=input.merchant_id,
            attempt=activity.info().attempt,
        )
        endpoints = await self._endpoints.live_for(input.merchant_id, event.type.value)
        if not endpoints:
            if input.required:
                raise ApplicationError(
                    f"merchant '{input.merchant_id}' takes {event.type.value} by webhook only "
                    "but has no live endpoint for it; retrying until one is added",
                    type=WEBHOOK_NOT_DELIVERED,
                )
            bound.info("webhook.no_endpoints")
            return contracts.WebhookDelivered(event_id=event.id, delivered_to=[])
        delivered: list[str] = []
        already: list[str] = []
        failures: list[str] = []
        for live in endpoints:
            endpoint_id = live.endpoint.endpoint_id
            if await self._deliveries.delivered(event.id, endpoint_id):
                already.append(endpoint_id)
                continue
            try:
                result = await self._sender.post(live.endpoint.url, live.secret, event.id, body)
            except Exception as err:  # noqa: BLE001 - one endpoint must not stop the others
                result = PostResult(None, f"unexpected {type(err).__name__}: {err}"[:300])
            await self._deliveries.record_attempt(
                event.id,
                endpoint_id,
                input.merchant_id,
                event.type.value,
                result.status_code,
                result.error,
            )
            if result.error is None:
                delivered.append(endpoint_id)
                bound.info("webhook.delivered", endpoint_id=endpoint_id, status=result.status_code)
            else:
                failures.append(f"{endpoint_id}: {result.error}")
                bound.warning("webhook.failed", endpoint_id=endpoint_id, status=result.status_code)
        if failures:
            raise ApplicationError(
                f"{len(failures)} of {len(endpoints)} endpoint(s) did not take {event.id}: "
                + "; ".join(failures),
                type=WEBHOOK_NOT_DELIVERED,
            )
        return contracts.WebhookDelivered(
            event_id=event.id, delivered_to=delivered, already_delivered=already
        )
