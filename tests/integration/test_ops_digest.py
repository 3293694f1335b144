"""The daily ops digest on a real dev server: the schedule exists once and finds the right cases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from temporalio.client import Client, WorkflowExecution
from temporalio.testing import WorkflowEnvironment

from cases.client import case_handle, case_state, start_case, submit_answer
from domain.actions import EmailReplyNotice
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.digest import DigestReport
from domain.merchant import Merchant
from domain.request import CancellationRequest
from storage.merchants import MerchantDirectory
from tests.eventually import eventually
from tests.helpers.cli import Stack
from workers.database import database_pool
from workers.mail_sink import MailSink
from workers.schedules import DigestSettings, ensure_digest_schedule
from workers.wiring import build_activities
from workers.worker import build_worker
from workflows.cancellation import CancellationWorkflow
from workflows.ops_digest import DIGEST_SCHEDULE_ID


def _merchant(merchant_id: str) -> Merchant:
    return Merchant(
        merchant_id=merchant_id,
        display_name=merchant_id.title(),
        cancellation_emails=[f"cancel@{merchant_id}.example"],
        required_identifiers=["email"],
    )


def _request(case_id: str, merchant_id: str) -> CancellationRequest:
    return CancellationRequest.model_validate(
        {
            "case_id": case_id,
            "merchant_id": merchant_id,
            "subscription": {"name": "Plan"},
            "customer": {"email": "someone@example.org"},
        }
    )


async def test_the_daily_digest_lists_open_cases_by_merchant_and_triage(
    dev_server_env: WorkflowEnvironment, stack: Stack, mail_sink: MailSink
) -> None:
    client = dev_server_env.client
    settings = stack.settings
    assert settings.database_url
    suffix = uuid.uuid4().hex[:6]
    busy, quiet = f"busy-{suffix}", f"quiet-{suffix}"
    async with database_pool(settings.database_url) as pool:
        for merchant_id in (busy, quiet):
            await MerchantDirectory(pool).upsert(_merchant(merchant_id))
        worker = build_worker(client, settings, build_activities(settings, pool, client))
        async with worker:
            tq = settings.temporal.task_queue
            waiting, replied, answered = (f"dg-{suffix}-{n}" for n in ("a", "b", "c"))
            for case_id, merchant_id in ((waiting, busy), (replied, busy), (answered, quiet)):
                await start_case(client, _request(case_id, merchant_id), tq)
            for case_id in (waiting, replied, answered):
                await _until(client, case_id, CaseStatus.AWAITING)
            await case_handle(client, replied).signal(
                CancellationWorkflow.email_reply_received,
                EmailReplyNotice(
                    message_id=f"<r-{suffix}@busy.example>",
                    sender="x@busy.example",
                    subject="Re: cancellation",
                    received_at=datetime.now(UTC),
                ),
            )
            await submit_answer(
                client,
                answered,
                HasNowBeenCancelled(
                    access_until=date(2030, 1, 1),
                    answered_at=datetime.now(UTC),
                    channel="ops",
                    responded_by="test",
                ),
            )
            await case_handle(client, answered).result()
            await _until(client, replied, CaseStatus.NEEDS_TRIAGE)

            # The dev server is shared with other tests' workers, which create the real one.
            schedule_id = f"{DIGEST_SCHEDULE_ID}-{suffix}"
            # Due twelve hours from now, never while the test runs: at the default 07:00
            # Stockholm a run of its own could come before the cases are visible and be the
            # one read below (or the one whose email the outbox keeps for the day).
            due = DigestSettings(hour=(datetime.now(UTC).hour + 12) % 24, time_zone="UTC")
            assert await ensure_digest_schedule(client, tq, due, schedule_id) is True
            assert await ensure_digest_schedule(client, tq, due, schedule_id) is False
            schedule = client.get_schedule_handle(schedule_id)
            try:
                await _wait_visible(client, replied, "needs_triage")
                await schedule.trigger()
                report = await _digest_result(client, schedule_id)
            finally:
                await schedule.delete()

    assert report.by_merchant.get(busy) == 2
    assert quiet not in report.by_merchant  # its only case is closed
    assert [c.case_id for c in report.needs_triage if c.merchant_id == busy] == [replied]
    digests = [m for m in mail_sink.messages if "daily digest" in str(m["Subject"])]
    assert len(digests) == 1
    body = digests[0].get_body(preferencelist=("plain",))
    assert body is not None and replied in body.get_content()
    assert "someone@example.org" not in body.get_content()


async def _until(client: Client, case_id: str, status: CaseStatus) -> None:
    await eventually(
        lambda: case_state(client, case_id),
        lambda state: state.status is status,
        what=f"{case_id} to reach {status}",
    )


async def _wait_visible(client: Client, case_id: str, status: str) -> None:
    """Visibility trails the workflow by a moment; the digest reads visibility."""
    query = f"WorkflowId = 'case-{case_id}' AND CaseStatus = '{status}'"

    async def listed() -> list[WorkflowExecution]:
        return [w async for w in client.list_workflows(query)]

    await eventually(listed, what=f"{case_id} visible as {status}")


async def _digest_result(client: Client, schedule_id: str) -> DigestReport:
    query = (
        "WorkflowType = 'OpsDigestWorkflow' AND ExecutionStatus = 'Completed' "
        f"AND WorkflowId STARTS_WITH '{schedule_id}'"
    )

    async def completed() -> list[WorkflowExecution]:
        return [w async for w in client.list_workflows(query)]

    [run, *_] = await eventually(completed, what="the digest workflow to complete")
    handle = client.get_workflow_handle(run.id, run_id=run.run_id, result_type=DigestReport)
    report: DigestReport = await handle.result()
    return report
