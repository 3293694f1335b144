"""Replies read in the running product: the real merchant email's Reply-To, the real mail
gateway (aiosmtpd), PostgreSQL and a Temporal dev server; the reader's suggestion is stored,
told to the case, shown and listed, accepted in one step, or records itself where the merchant
opted in."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from cases.client import case_state, start_case
from domain.answers import Outcome
from domain.case import CaseState, CaseStatus
from domain.merchant import Merchant
from domain.replies.reader import READER
from domain.request import CancellationRequest
from inbound.store import InboundMailStore
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.harness import make_merchant, make_request
from tests.helpers.servers import free_port
from workers.mail_gateway_service import running_mail_gateway
from workers.mail_sink import MailSink
from workers.settings import Settings
from workers.wiring import build_activities
from workflows.cancellation import CancellationWorkflow
from workflows.sandbox import workflow_runner


@dataclass
class Product:
    client: Client
    settings: Settings
    mail_sink: MailSink
    gateway_host: str
    gateway_port: int

    async def start(self, request: CancellationRequest) -> EmailMessage:
        """Start the case; returns the merchant email it sent (with its Reply-To)."""
        await start_case(self.client, request, self.settings.temporal.task_queue)

        async def emails() -> list[EmailMessage]:
            return [
                m
                for m in self.mail_sink.messages
                if request.case_id in str(m["Subject"]) or request.case_id in m.as_string()
            ]

        found: list[EmailMessage] = await eventually(emails, bool, within=20)
        assert len(found) == 1
        return found[0]

    async def reply(
        self, to: EmailMessage, words: str, sender: str = "support@acme.example"
    ) -> str:
        """Reply as an Outlook user would: the words on top, a signature, our request quoted
        below a From:/Sent: block without '>'."""
        message_id = f"<{uuid.uuid4().hex[:12]}@acme.example>"
        answer = EmailMessage()
        answer["From"] = f"Acme Support <{sender}>"
        answer["To"] = str(to["Reply-To"])
        answer["Subject"] = "RE: " + str(to["Subject"])
        answer["Message-ID"] = message_id
        answer["In-Reply-To"] = str(to["Message-ID"])
        quoted = to.get_body(preferencelist=("plain",))
        assert quoted is not None
        answer.set_content(
            f"{words}\n\nKind regards\nBo\nAcme Support, +46 8 123 45 67, order desk 12-14\n\n"
            f"________________________________\nFrom: {to['From']}\nSent: {to['Date']}\n"
            f"To: {to['To']}\nSubject: {to['Subject']}\n\n{quoted.get_content()}"
        )
        await aiosmtplib.send(answer, hostname=self.gateway_host, port=self.gateway_port)
        return message_id.strip("<>")

    async def state(self, case_id: str, status: CaseStatus) -> CaseState:
        return await eventually(
            lambda: case_state(self.client, case_id), lambda s: s.status is status, within=20
        )


@asynccontextmanager
async def running_product(
    client: Client, pool: asyncpg.Pool, database_url: str, mail_sink: MailSink, tmp_path: Path
) -> AsyncIterator[Product]:
    task_queue = f"triage-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        var_dir=tmp_path,
        DATABASE_URL=database_url,
        smtp={"host": mail_sink.host, "port": mail_sink.port},
        mail_gateway={"host": "127.0.0.1", "port": free_port()},
        temporal={"task_queue": task_queue},
    )
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
        yield Product(client, settings, mail_sink, gateway.host, gateway.port)


def customer_emails(sink: MailSink, request: CancellationRequest) -> list[EmailMessage]:
    return [m for m in sink.messages if str(m["To"]) == request.customer.email]


async def test_a_reply_is_read_shown_listed_and_accepted_in_one_step(
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    encrypted_client: Client,
    pool: asyncpg.Pool,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    merchant_id = f"acme-{uuid.uuid4().hex[:6]}"
    await MerchantDirectory(pool).upsert(make_merchant(merchant_id=merchant_id))
    request = make_request(merchant_id=merchant_id)
    async with running_product(encrypted_client, pool, database_url, mail_sink, tmp_path) as p:
        monkeypatch.setenv("CANCELFLOW_TEMPORAL__TASK_QUEUE", p.settings.temporal.task_queue)
        sent = await p.start(request)
        message_id = await p.reply(
            sent, "Hi,\nWe have cancelled it. The customer has access until 31 December 2030."
        )
        state = await p.state(request.case_id, CaseStatus.NEEDS_TRIAGE)
        [notice] = state.email_replies
        assert notice.suggestion is not None
        assert notice.suggestion.outcome is Outcome.HAS_NOW_BEEN_CANCELLED
        assert notice.suggestion.access_until == date(2030, 12, 31)
        assert notice.suggestion.reader == READER
        [stored] = await InboundMailStore(pool).replies_for(request.case_id)
        assert stored.suggestion == notice.suggestion

        shown = await cancelflow("cases", "show", request.case_id)
        assert shown.exit_code == 0, shown.output
        assert "Reader:   has_now_been_cancelled access_until 2030-12-31" in shown.output
        assert "evidence: The customer has access until 31 December 2030." in shown.output
        assert f"cancelflow triage accept {request.case_id}" in shown.output

        async def listed() -> list[dict[str, object]]:
            result = await cancelflow("triage", "list", "--json")
            assert result.exit_code == 0, result.output
            rows: list[dict[str, object]] = json.loads(result.output)["cases"]
            return [r for r in rows if r["case_id"] == request.case_id]

        [row] = await eventually(listed, bool)
        reply = row["reply"]
        assert isinstance(reply, dict)
        assert reply["sender"] == "support@acme.example" and reply["sender_verified"] is True
        assert reply["suggestion"]["outcome"] == "has_now_been_cancelled"
        assert reply["suggestion"]["access_until"] == "2030-12-31"
        table = await cancelflow("triage", "list")
        assert request.case_id in table.output and "(verified)" in table.output

        accepted = await cancelflow("triage", "accept", request.case_id, "--by", "ops:karin")
        assert accepted.exit_code == 0, accepted.output
        closed = await p.state(request.case_id, CaseStatus.CLOSED)
        assert closed.answer is not None
        assert closed.answer.channel.value == "email"
        assert closed.answer.responded_by == "ops:karin"
        assert closed.answer.reference == message_id
        assert closed.answer.outcome_fields() == {
            "outcome": "has_now_been_cancelled",
            "access_until": "2030-12-31",
        }
        [told] = await eventually(lambda: _aio(customer_emails(mail_sink, request)), bool)
        assert "2030" in (told.get_body(preferencelist=("plain",)) or told).get_content()

        audit = await cancelflow("cases", "audit", request.case_id, "--json")
        assert audit.exit_code == 0, audit.output
        entries = json.loads(audit.output)["entries"]
        [replied] = [e for e in entries if e["kind"] == "email_reply_received"]
        assert replied["details"]["suggested_answer"]["access_until"] == "2030-12-31"
        [answer] = [e for e in entries if e["kind"] == "answer_received"]
        assert answer["actor"] == "ops:karin"
        assert answer["details"]["suggestion"] == "the reader's suggestion accepted"

        again = await cancelflow("triage", "accept", request.case_id)
        assert again.exit_code == 0, again.output
        assert "already recorded" in again.output


async def test_triage_lists_the_longest_waiting_first_and_the_audit_shows_an_override(
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    encrypted_client: Client,
    pool: asyncpg.Pool,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    merchant_id = f"acme-{uuid.uuid4().hex[:6]}"
    await MerchantDirectory(pool).upsert(make_merchant(merchant_id=merchant_id, locale="sv"))
    first, second, unclear = (make_request(merchant_id=merchant_id) for _ in range(3))
    async with running_product(encrypted_client, pool, database_url, mail_sink, tmp_path) as p:
        monkeypatch.setenv("CANCELFLOW_TEMPORAL__TASK_QUEUE", p.settings.temporal.task_queue)
        emails = [await p.start(r) for r in (first, second, unclear)]
        await p.reply(emails[0], "Hej, abonnemanget är uppsagt, tillgång t.o.m. 2030-06-30.")
        await p.state(first.case_id, CaseStatus.NEEDS_TRIAGE)
        overridden = await p.reply(emails[1], "Uppsagt, tillgång till och med 2030-01-31.")
        await p.state(second.case_id, CaseStatus.NEEDS_TRIAGE)
        await p.reply(emails[2], "Tack, vi återkommer inom 3 arbetsdagar.")
        await p.state(unclear.case_id, CaseStatus.NEEDS_TRIAGE)
        ours = {first.case_id, second.case_id, unclear.case_id}

        async def listed() -> list[dict[str, Any]]:
            result = await cancelflow("triage", "list", "--json")
            assert result.exit_code == 0, result.output
            return [r for r in json.loads(result.output)["cases"] if r["case_id"] in ours]

        rows = await eventually(listed, lambda rows: len(rows) == 3)
        assert [r["case_id"] for r in rows] == [first.case_id, second.case_id, unclear.case_id]
        assert rows[2]["reply"]["suggestion"] == {
            "outcome": None,
            "reason": "an acknowledgement: no outcome yet",
        }
        refused = await cancelflow("triage", "accept", unclear.case_id)
        assert refused.exit_code == 1
        assert "has no suggestion (an acknowledgement: no outcome yet)" in refused.output
        assert "--from-email" in refused.output

        # An op reads the second reply differently and records that instead.
        respond = await cancelflow(
            "cases",
            "respond",
            second.case_id,
            "--outcome",
            "has_now_been_cancelled",
            "--access-until",
            "2030-02-28",
            "--from-email",
            overridden,
            "--by",
            "ops:bo",
        )
        assert respond.exit_code == 0, respond.output
        await p.state(second.case_id, CaseStatus.CLOSED)
        audit = await cancelflow("cases", "audit", second.case_id, "--json")
        [answer] = [
            e for e in json.loads(audit.output)["entries"] if e["kind"] == "answer_received"
        ]
        assert answer["details"]["suggestion"] == "the reader's suggestion overridden"
        assert "ops:bo" in answer["actor"]


async def test_an_opted_in_merchants_verified_clear_reply_records_itself_and_nothing_else(
    dev_server_env: object,
    pool: asyncpg.Pool,
    database_url: str,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    client: Client = dev_server_env.client  # type: ignore[attr-defined]
    opted_in = make_merchant(
        merchant_id=f"auto-{uuid.uuid4().hex[:6]}",
        auto_record_replies=True,
        auto_record_threshold=0.9,
    )
    await MerchantDirectory(pool).upsert(opted_in)
    clear, other, stranger = (make_request(merchant_id=opted_in.merchant_id) for _ in range(3))
    async with running_product(client, pool, database_url, mail_sink, tmp_path) as p:
        for request in (clear, other, stranger):
            email = await p.start(request)
            words = {
                clear.case_id: "The subscription was already cancelled on 2 January 2020.",
                other.case_id: "We cannot cancel it: the customer must cancel in the App Store.",
                stranger.case_id: "Cancelled, access until 31 December 2030.",
            }[request.case_id]
            sender = "mallory@elsewhere.example" if request is stranger else "support@acme.example"
            await p.reply(email, words, sender=sender)

        closed = await p.state(clear.case_id, CaseStatus.CLOSED)
        assert closed.answer is not None
        assert closed.answer.responded_by == READER
        assert closed.answer.channel.value == "email"
        assert closed.answer.outcome_fields() == {
            "outcome": "was_already_cancelled",
            "cancelled_on": "2020-01-02",
        }
        await eventually(lambda: _aio(customer_emails(mail_sink, clear)), bool)

        # "Other reason" is always read by ops; a stranger's reply never records anything.
        waiting = await p.state(other.case_id, CaseStatus.NEEDS_TRIAGE)
        assert waiting.answer is None
        assert waiting.email_replies[0].suggestion is not None
        assert waiting.email_replies[0].suggestion.outcome is Outcome.OTHER_REASON
        stored = await eventually(
            lambda: InboundMailStore(pool).replies_for(stranger.case_id),
            lambda rows: bool(rows) and rows[0].signal_status == "delivered",
        )
        assert not stored[0].sender_verified
        assert stored[0].suggestion is not None
        assert stored[0].suggestion.outcome is Outcome.HAS_NOW_BEEN_CANCELLED
        untouched = await case_state(client, stranger.case_id)
        assert untouched.answer is None and untouched.status is CaseStatus.AWAITING


def test_merchants_do_not_let_replies_record_themselves_unless_they_opt_in() -> None:
    merchant = make_merchant()
    assert merchant.auto_record_replies is False
    with pytest.raises(ValueError, match="auto_record_threshold"):
        Merchant.model_validate({**merchant.model_dump(), "auto_record_threshold": 0.2})


async def _aio(messages: list[EmailMessage]) -> list[EmailMessage]:
    return messages
