"""The ops commands as a person runs them: `cancelflow cases list/show/audit/withdraw` and
`cancelflow temporal setup`, against the dev server, with encrypted payloads."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import asyncpg
import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import case_handle, case_state, start_case, submit_answer
from domain.actions import EmailReplyNotice
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from inbound.store import InboundMailStore
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


async def test_list_show_audit_and_withdraw(
    cli_env: None, encrypted_client: Client, pool: asyncpg.Pool
) -> None:
    client = encrypted_client
    merchant_id = f"acme-{uuid.uuid4().hex[:6]}"
    acts = RecordingActivities(merchants={merchant_id: make_merchant(merchant_id=merchant_id)})
    waiting, triage, answered = (make_request(merchant_id=merchant_id) for _ in range(3))
    async with running_worker(client, acts) as task_queue:
        for request in (waiting, triage, answered):
            await start_case(client, request, task_queue)
        for case_id in (waiting.case_id, triage.case_id, answered.case_id):
            await eventually(
                partial(case_state, client, case_id), lambda s: s.status is CaseStatus.AWAITING
            )
        # A stored email reply for one case, as the gateway leaves it, and its signal.
        store = InboundMailStore(pool)
        stored = await store.store(
            triage.case_id,
            "r-77@acme.example",
            "support@acme.example",
            "Re: cancel",
            b"From: support@acme.example\r\nSubject: Re: cancel\r\nMessage-ID: <r-77@acme.example>"
            b"\r\n\r\nWe have cancelled it, access until January.\r\n",
            datetime.now(UTC),
        )
        await case_handle(client, triage.case_id).signal(
            "email_reply_received",
            EmailReplyNotice(
                message_id="r-77@acme.example",
                sender="support@acme.example",
                subject="Re: cancel",
                received_at=stored.reply.received_at,
            ),
        )
        await submit_answer(
            client,
            answered.case_id,
            HasNowBeenCancelled(
                access_until="2030-01-31",
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await eventually(
            lambda: case_state(client, answered.case_id), lambda s: s.status is CaseStatus.CLOSED
        )

        async def listed(*filters: str) -> set[str]:
            result = await cancelflow(
                "cases", "list", "--merchant", merchant_id, *filters, "--json"
            )
            assert result.exit_code == 0, result.output
            return {row["case_id"] for row in json.loads(result.output)["cases"]}

        # Visibility is eventually consistent: wait until the last change is searchable.
        await eventually(lambda: listed("--status", "closed"), lambda ids: bool(ids))
        await eventually(lambda: listed("--status", "needs_triage"), lambda ids: bool(ids))
        assert await listed() == {waiting.case_id, triage.case_id, answered.case_id}
        assert await listed("--status", "needs_triage") == {triage.case_id}
        assert await listed("--status", "closed") == {answered.case_id}
        assert await listed("--query", 'CaseStatus = "awaiting"') == {waiting.case_id}
        assert await listed("--escalated") == set()
        table = await cancelflow("cases", "list", "--merchant", merchant_id)
        assert triage.case_id in table.output and "needs_triage" in table.output

        shown = await cancelflow("cases", "show", triage.case_id)
        assert shown.exit_code == 0, shown.output
        assert "needs_triage" in shown.output
        assert "We have cancelled it, access until January." in shown.output
        assert "r-77@acme.example" in shown.output

        unknown = await cancelflow(
            "cases",
            "respond",
            triage.case_id,
            "--outcome",
            "no_subscription_found",
            "--from-email",
            "nope@x",
        )
        assert unknown.exit_code == 1
        assert "no email reply with Message-ID nope@x" in unknown.output
        assert "r-77@acme.example" in unknown.output
        responded = await cancelflow(
            "cases",
            "respond",
            triage.case_id,
            "--outcome",
            "has_now_been_cancelled",
            "--access-until",
            "2030-01-31",
            "--from-email",
            "<r-77@acme.example>",
        )
        assert responded.exit_code == 0, responded.output
        state = await eventually(
            lambda: case_state(client, triage.case_id), lambda s: s.answer is not None
        )
        assert state.answer is not None
        assert (state.answer.channel, state.answer.reference) == (
            Channel.EMAIL,
            "r-77@acme.example",
        )
        assert state.answer.responded_by.startswith("support@acme.example (recorded by ")

        snoozed = await cancelflow(
            "cases",
            "snooze",
            waiting.case_id,
            "--until",
            "2099-01-05",
            "--reason",
            "merchant closed for the holidays",
        )
        assert snoozed.exit_code == 0, snoozed.output
        assert "snoozed until 2099-01-05T09:00:00+01:00" in snoozed.output
        await eventually(
            lambda: case_state(client, waiting.case_id),
            lambda s: s.next_action_at is not None and s.next_action_at.year == 2099,
        )
        past = await cancelflow(
            "cases", "snooze", waiting.case_id, "--until", "2001-01-01", "--reason", "typo"
        )
        assert past.exit_code == 3 and "not in the future" in past.output
        bad = await cancelflow(
            "cases", "snooze", waiting.case_id, "--until", "2099-02-30", "--reason", "x"
        )
        assert bad.exit_code == 1 and "until" in bad.output

        withdrawn = await cancelflow("cases", "withdraw", waiting.case_id, "--reason", "moved")
        assert withdrawn.exit_code == 0, withdrawn.output
        await eventually(
            lambda: case_state(client, waiting.case_id), lambda s: s.status is CaseStatus.WITHDRAWN
        )
        again = await cancelflow("cases", "withdraw", answered.case_id)
        assert again.exit_code == 3 and "closed" in again.output

    # The worker is gone: the audit still reads the (encrypted) history of the closed case.
    audit = await cancelflow("cases", "audit", answered.case_id, "--json")
    assert audit.exit_code == 0, audit.output
    kinds = [e["kind"] for e in json.loads(audit.output)["entries"] if e["kind"] != "status"]
    assert kinds == [
        "request_received",
        "merchant_email_sent",
        "answer_received",
        "customer_notified",
        "case_closed",
    ]
    text = await cancelflow("cases", "audit", waiting.case_id)
    [withdrawal] = [line for line in text.output.splitlines() if "withdrawal_requested" in line]
    assert "[by ops:" in withdrawal
    missing = await cancelflow("cases", "audit", "no-such-case-123")
    assert missing.exit_code == 1 and "no case 'no-such-case-123'" in missing.output


async def test_temporal_setup_registers_search_attributes_once(
    cli_env: None, dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"ops-{uuid.uuid4().hex[:8]}"
    await dev_server_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    monkeypatch.setenv("TEMPORAL_NAMESPACE", namespace)
    first = await cancelflow("temporal", "setup")
    assert first.exit_code == 0, first.output
    assert first.output.count(": registered") == len(ALL_SEARCH_ATTRIBUTES)
    second = await cancelflow("temporal", "setup")
    assert second.exit_code == 0, second.output
    assert second.output.count("already registered") == len(ALL_SEARCH_ATTRIBUTES)
    listed = await dev_server_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    for key in ALL_SEARCH_ATTRIBUTES:
        assert int(listed.custom_attributes[key.name]) == int(key.indexed_value_type)
    assert "closed cases kept 1 days" in second.output


async def test_temporal_setup_sets_the_namespace_retention(
    cli_env: None, dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"ops-{uuid.uuid4().hex[:8]}"
    await dev_server_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    monkeypatch.setenv("TEMPORAL_NAMESPACE", namespace)
    refused = await cancelflow("temporal", "setup", "--retention", "30 days")
    assert refused.exit_code == 1
    assert "--retention: must be a whole number of hours, days or weeks" in refused.output
    result = await cancelflow("temporal", "setup", "--retention", "30d")
    assert result.exit_code == 0, result.output
    assert "closed cases kept 30 days" in result.output
    described = await dev_server_env.client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToTimedelta() == timedelta(days=30)
