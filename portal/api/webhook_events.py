"""The webhook events in the merchant API's OpenAPI document (`webhooks` section, OpenAPI 3.1).

Documentation only: these are requests cancelflow sends to merchants, not routes it serves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header

from domain.webhooks import EventType, WebhookEvent

_HEADERS_DOC = (
    "Signed as Standard Webhooks: `webhook-id` (the event id, also in the body), "
    "`webhook-timestamp` (unix seconds) and `webhook-signature` "
    '(`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the '
    "base64-decoded part of your `whsec_` secret). Answer 2xx within 10 seconds; anything "
    "else is retried with backoff for up to 5 days. Deduplicate on `id`. See docs/webhooks.md."
)

_SUMMARIES = {
    EventType.REQUESTED: "A customer asked to cancel: the identifiers you configured and "
    "the reply URL, as in the email",
    EventType.REMINDER: "You have not answered yet: the same details, with the reminder number",
    EventType.WITHDRAWN: "The customer withdrew the request: disregard it",
    EventType.ANSWER_RECORDED: "Your answer was recorded (outcome and dates)",
}


def install_webhook_docs(app: FastAPI) -> None:
    for event_type, summary in _SUMMARIES.items():

        async def receive(
            event: WebhookEvent,
            webhook_id: Annotated[str, Header()],
            webhook_timestamp: Annotated[str, Header()],
            webhook_signature: Annotated[str, Header()],
        ) -> None:
            """Implemented by the merchant."""

        app.webhooks.add_api_route(
            event_type.value,
            receive,
            methods=["POST"],
            summary=summary,
            description=_HEADERS_DOC,
            operation_id=f"webhook_{event_type.name.lower()}",
            tags=["webhooks"],
            status_code=204,
        )
