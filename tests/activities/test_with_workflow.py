"""The real workflow calling these real activities: names, payloads and failures line up."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.email import EmailActivities
from activities.merchants import MerchantActivities
from cases.client import case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.emails import ALL_IDENTIFIER_VALUES, full_request, merchant
from workers.mail_sink import MailSink
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner


@pytest.fixture
async def task_queue(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, email_activities: EmailActivities
) -> AsyncIterator[str]:
    queue = f"activities-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping_env.client,
        task_queue=queue,
        workflows=[CancellationWorkflow],
        activities=[
            MerchantActivities(MerchantDirectory(pool)).load_merchant,
            *email_activities.activities(),
        ],
        workflow_runner=workflow_runner(),
    ):
        yield queue


async def _wait_for_mail(sink: MailSink, count: int) -> None:
    await eventually(lambda: len(sink.messages) >= count, what=f"{count} emails in the sink")


async def test_a_case_sends_the_merchant_and_the_customer_email_once_each(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    pool: asyncpg.Pool,
    mail_sink: MailSink,
) -> None:
    client: Client = time_skipping_env.client
    await MerchantDirectory(pool).upsert(merchant(required=["last_name", "card_last4"]))
    request = full_request(f"wf-{uuid.uuid4().hex[:10]}", locale="sv")

    started = await start_case(client, request, task_queue)
    await _wait_for_mail(mail_sink, 1)
    to_merchant = mail_sink.messages[0]
    assert to_merchant["To"] == "cancellations@streamio.example"
    body = to_merchant.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Lindqvist" in text and "4242" in text
    assert ALL_IDENTIFIER_VALUES["email"] not in text and "Astrid" not in text

    # The mail is in the sink a moment before the activity reports back to the workflow.
    async def awaiting() -> bool:
        return (await case_state(client, request.case_id)).status is CaseStatus.AWAITING

    await eventually(awaiting)
    await submit_answer(
        client,
        request.case_id,
        HasNowBeenCancelled(
            answered_at=datetime.now(UTC),
            channel=Channel.PORTAL,
            responded_by="desk@streamio.example",
            access_until=date(2026, 4, 30),
        ),
    )
    state = await started.handle.result()

    assert state.status is CaseStatus.CLOSED
    assert len(mail_sink.messages) == 2
    to_customer = mail_sink.messages[1]
    assert to_customer["To"] == ALL_IDENTIFIER_VALUES["email"]
    assert to_customer["Subject"].startswith("Uppsagt: Streamio Premium hos Streamio AB (CF-")
    assert [e.message_id for e in state.emails] == [
        to_merchant["Message-ID"],
        to_customer["Message-ID"],
    ]
    sent = await pool.fetch(
        "SELECT kind, status FROM email_outbox WHERE case_id = $1 ORDER BY created_at",
        request.case_id,
    )
    assert [(r["kind"], r["status"]) for r in sent] == [
        ("request", "sent"),
        ("customer-outcome", "sent"),
    ]


async def test_an_unknown_merchant_fails_the_case_with_a_clear_reason(
    time_skipping_env: WorkflowEnvironment, task_queue: str, mail_sink: MailSink
) -> None:
    client: Client = time_skipping_env.client
    request = full_request(f"wf-{uuid.uuid4().hex[:10]}")

    started = await start_case(client, request, task_queue)
    with pytest.raises(WorkflowFailureError):
        await started.handle.result()

    state = await case_state(client, request.case_id)
    assert state.status is CaseStatus.FAILED
    assert state.failure is not None and "UnknownMerchant" in state.failure
    assert "'streamio'" in state.failure
    assert mail_sink.messages == []
