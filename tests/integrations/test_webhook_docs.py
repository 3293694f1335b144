"""What merchants are told: the OpenAPI webhooks section and the verification snippet work."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from integrations.signing import signature_headers
from portal.app import create_app
from portal.config import PortalSettings
from storage.webhooks import new_secret

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def test_the_openapi_document_describes_every_event() -> None:
    app = create_app(None, None, PortalSettings(), "q")  # type: ignore[arg-type]
    document: dict[str, Any] = app.openapi()
    assert set(document["webhooks"]) == {
        "cancellation.requested",
        "cancellation.reminder",
        "cancellation.withdrawn",
        "cancellation.answer_recorded",
        "answers.batch_completed",
    }
    body = document["webhooks"]["cancellation.requested"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookEvent"
    }
    data = document["components"]["schemas"]["CaseEventData"]["properties"]
    assert {"identifiers", "reply_url", "answer", "reminder_number"} <= set(data)
    header_names = {
        p["name"] for p in document["webhooks"]["cancellation.reminder"]["post"]["parameters"]
    }
    assert header_names == {"webhook-id", "webhook-timestamp", "webhook-signature"}


def test_the_documented_snippet_verifies_our_signature_and_rejects_tampering() -> None:
    [snippet] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # noqa: S102 - the documentation's own code
    verify = namespace["verify"]
    secret = new_secret()
    body = b'{"id":"evt_x","type":"cancellation.requested"}'
    headers = signature_headers(secret, "evt_x", int(time.time()), body)
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"x", b"y"))
    assert not verify(new_secret(), headers, body)
    old = signature_headers(secret, "evt_x", int(time.time()) - 3600, body)
    assert not verify(secret, old, body)
