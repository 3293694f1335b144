"""What the privacy tests look for: every payload in a history, and identifiers in bytes."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History

from workers.codec import KEY_ID_METADATA


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload inside a protobuf message (inputs, results, failures, headers), except
    search attributes: those are indexed in clear and checked on their own."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE or field.name == "search_attributes":
            continue
        if isinstance(value, Message):
            yield from payloads_in(value)
            continue
        # Repeated fields and maps (a map's values are its messages).
        items = value.values() if hasattr(value, "keys") else value
        for item in items:
            if isinstance(item, Message):
                yield from payloads_in(item)


# The SDK's own marker details (a patch's id, a local activity's attempt and times) are written
# by the SDK's core without the codec; they hold no case data (the byte scan checks that).
_SDK_MARKER_DETAILS = frozenset({"patch-data", "data"})


def data_payloads(history: History) -> Iterator[Payload]:
    """Every payload of ours in a history: all of them but the SDK's marker details."""
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            details = event.marker_recorded_event_attributes.details
            for name, payloads in details.items():
                if name not in _SDK_MARKER_DETAILS:
                    yield from payloads.payloads
            continue
        yield from payloads_in(event)


def key_ids(history: History) -> set[str]:
    return {p.metadata.get(KEY_ID_METADATA, b"").decode() for p in data_payloads(history)}


def readable_identifiers(data: bytes, identifiers: list[str]) -> list[str]:
    """The identifiers found in data, as text or as the hex pg_dump writes bytea in."""
    lowered = data.lower()
    found = []
    for value in identifiers:
        raw = value.encode()
        if raw.lower() in lowered or raw.hex().encode() in lowered:
            found.append(value)
    return found
