"""Reply by email end to end: the real merchant email's Reply-To leads, through the real
mail gateway, to the case waiting for ops; ops record the answer with the message's id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cases.client import case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.harness import make_merchant, make_request
from tests.helpers.servers import free_port
from workers.mail_gateway_service import running_mail_gateway
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner


async def test_merchant_replies_to_the_request_email_and_ops_answer_from_it(
    dev_server_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    client = dev_server_env.client
    task_queue = f"reply-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        var_dir=tmp_path,
        DATABASE_URL=database_url,
        smtp={"host": mail_sink.host, "port": mail_sink.port},
        mail_gateway={"host": "127.0.0.1", "port": free_port()},
        temporal={"task_queue": task_queue},
    )
    await MerchantDirectory(pool).upsert(make_merchant())
    request = make_request()
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[CancellationWorkflow],
            activities=build_activities(settings, pool),
            workflow_runner=workflow_runner(),
        ),
        running_mail_gateway(settings, pool, client) as gateway,
    ):
        await start_case(client, request, task_queue)
        [merchant_email] = await eventually(lambda: _aio(mail_sink.messages), bool, within=20)
        reply_to = str(merchant_email["Reply-To"])
        local, domain = reply_to.split("@")
        assert local.startswith("reply+") and len(local) <= 64
        assert domain == settings.email.reply_domain

        answer = EmailMessage()
        answer["From"] = "support@acme.example"
        answer["To"] = reply_to
        answer["Subject"] = "Re: " + str(merchant_email["Subject"])
        answer["Message-ID"] = "<answer-42@acme.example>"
        answer["In-Reply-To"] = str(merchant_email["Message-ID"])
        answer.set_content("Cancelled today; access until the end of the month.")
        await aiosmtplib.send(answer, hostname=gateway.host, port=gateway.port)

        state = await eventually(
            lambda: case_state(client, request.case_id),
            lambda s: s.status is CaseStatus.NEEDS_TRIAGE,
        )
        assert state.email_replies[0].message_id == "answer-42@acme.example"

        receipt = await submit_answer(
            client,
            request.case_id,
            HasNowBeenCancelled(
                access_until="2030-01-31",
                answered_at=datetime.now(UTC),
                channel=Channel.EMAIL,
                responded_by="ops:karin for support@acme.example",
                reference="answer-42@acme.example",
            ),
        )
        assert receipt.recorded
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.CLOSED
        )


async def _aio(messages: list[EmailMessage]) -> list[EmailMessage]:
    return list(messages)
