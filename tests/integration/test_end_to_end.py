"""A case end to end on the real pieces: Temporal dev server, PostgreSQL, SMTP, the worker.

The merchant sees exactly its configured identifiers; the customer sees the outcome and never
the merchant's free text; a worker killed between steps is replaced and every email still
goes out exactly once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cases.client import case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled, OtherReason
from domain.case import CaseStatus
from domain.common import Channel
from domain.customer_outcome import CustomerOutcomeKind
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.cli import CANCELFLOW, Stack
from tests.helpers.end_to_end import CUSTOMER_EMAIL, MERCHANT, in_process_worker, mails_to, request
from workers.database import database_pool
from workers.mail_sink import MailSink

# What the merchant must see, and what it must not.
SHARED = [CUSTOMER_EMAIL, "7319", "CN-448812"]
WITHHELD = ["Ingrid", "Kvarnström", "Hantverkargatan", "+46701234567"]


def text_of(message: EmailMessage) -> str:
    """Every text part (plain and HTML), decoded."""
    parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join(str(p) for p in parts)


async def add_merchant(database_url: str) -> None:
    async with database_pool(database_url) as pool:
        await MerchantDirectory(pool).upsert(MERCHANT)


def assert_merchant_email_shows_only_configured_identifiers(message: EmailMessage) -> None:
    body = text_of(message)
    for value in SHARED:
        assert value in body, f"merchant email lacks configured identifier {value!r}"
    for value in WITHHELD:
        assert value not in body, f"merchant email shows {value!r}, which it is not configured for"
        assert value not in str(message["Subject"])


async def test_other_reason_reaches_ops_but_never_the_customer(
    dev_server_env: WorkflowEnvironment, stack: Stack, mail_sink: MailSink
) -> None:
    client = dev_server_env.client
    settings = stack.settings
    assert settings.database_url
    await add_merchant(settings.database_url)
    secret_reason = "Customer has unpaid invoices, see INV-5521"

    async with in_process_worker(client, settings):
        started = await start_case(client, request("e2e-other-1"), settings.temporal.task_queue)
        assert started.created
        await eventually(
            lambda: mails_to(mail_sink, "cancel@nordicgym.example"), what="the merchant email"
        )
        [merchant_mail] = mails_to(mail_sink, "cancel@nordicgym.example")
        assert_merchant_email_shows_only_configured_identifiers(merchant_mail)

        receipt = await submit_answer(
            client,
            "e2e-other-1",
            OtherReason(
                answered_at=datetime.now(UTC),
                channel=Channel.OPS,
                responded_by="test",
                message=secret_reason,
            ),
        )
        assert receipt.recorded
        final = await asyncio.wait_for(started.handle.result(), timeout=30)

    assert final.status is CaseStatus.CLOSED
    assert final.customer_outcome is not None
    assert final.customer_outcome.kind is CustomerOutcomeKind.NOT_CANCELLED

    [customer_mail] = mails_to(mail_sink, CUSTOMER_EMAIL)
    customer_text = text_of(customer_mail)
    assert "could not cancel" in customer_text
    assert "INV-5521" not in customer_text and "unpaid" not in customer_text
    assert "INV-5521" not in str(customer_mail["Subject"])
    # The reason is not lost: ops get it.
    ops = [m for m in mail_sink.messages if "INV-5521" in text_of(m)]
    assert ops and all(CUSTOMER_EMAIL not in str(m["To"]) for m in ops)


def start_worker_process(stack: Stack, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    return subprocess.Popen(
        [CANCELFLOW, "worker"],
        env=stack.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def log_events(path: Path) -> list[dict[str, object]]:
    events = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


def has_event(path: Path, event: str) -> bool:
    return any(e.get("event") == event for e in log_events(path))


async def test_case_finishes_after_the_worker_is_killed_and_each_email_goes_out_once(
    dev_server_env: WorkflowEnvironment, stack: Stack, mail_sink: MailSink, tmp_path: Path
) -> None:
    client = dev_server_env.client
    settings = stack.settings
    assert settings.database_url
    await add_merchant(settings.database_url)
    case_id = "e2e-restart-1"
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"

    first = start_worker_process(stack, first_log)
    try:
        await eventually(
            lambda: has_event(first_log, "worker.started"),
            within=30,
            what="the first `cancelflow worker` to start",
        )
        started = await start_case(client, request(case_id), settings.temporal.task_queue)
        await eventually(
            lambda: mails_to(mail_sink, "cancel@nordicgym.example"), what="the merchant email"
        )
        # Killed only once the workflow has recorded the send, so nothing is in flight.
        await eventually(
            lambda: case_state(client, case_id),
            lambda state: state.status is CaseStatus.AWAITING,
            what="the case to record the merchant email",
        )
    finally:
        first.kill()
        first.wait()

    second = start_worker_process(stack, second_log)
    try:
        await eventually(
            lambda: has_event(second_log, "worker.started"),
            within=30,
            what="the second `cancelflow worker` to start",
        )
        access_until = date.today() + timedelta(days=20)
        receipt = await asyncio.wait_for(
            submit_answer(
                client,
                case_id,
                HasNowBeenCancelled(
                    answered_at=datetime.now(UTC),
                    channel=Channel.OPS,
                    responded_by="test",
                    access_until=access_until,
                ),
            ),
            timeout=60,
        )
        assert receipt.recorded
        final = await asyncio.wait_for(started.handle.result(), timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(timeout=30)
    assert code == 0, "the worker must stop cleanly on SIGTERM"
    assert has_event(second_log, "worker.stopped")

    assert final.status is CaseStatus.CLOSED
    assert final.customer_outcome is not None
    assert final.customer_outcome.effective_date == access_until

    ids = Counter(str(m["Message-ID"]) for m in mail_sink.messages)
    assert len(ids) == 2, f"expected the merchant request and the customer email, got {ids}"
    assert all(count == 1 for count in ids.values()), f"an email was sent twice: {ids}"
    [merchant_mail] = mails_to(mail_sink, "cancel@nordicgym.example")
    assert_merchant_email_shows_only_configured_identifiers(merchant_mail)
    [customer_mail] = mails_to(mail_sink, CUSTOMER_EMAIL)
    assert "has cancelled your subscription" in text_of(customer_mail)
    assert str(access_until.year) in text_of(customer_mail)

    # Logs name the case, never the customer.
    logs = first_log.read_text() + second_log.read_text()
    assert any(
        e.get("case_id") == case_id and e.get("event") == "activity.completed"
        for e in log_events(first_log) + log_events(second_log)
    )
    for value in [*SHARED, *WITHHELD]:
        assert value not in logs, f"customer identifier {value!r} appeared in the worker logs"
