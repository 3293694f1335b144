"""`cancelflow cases resend` against the shared dev server with a running worker: the
request goes out again under its own Message-ID, the audit names who asked, and a closed
case refuses it with exit code 3 and the case's reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial

import asyncpg
from temporalio.client import Client

from activities import contracts as act
from cases.client import case_handle, case_state, start_case, submit_answer
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from domain.reply_token import case_reference
from ops.audit import case_timeline
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker


async def test_resend_by_reference_then_refused_once_closed(
    cli_env: None, encrypted_client: Client, pool: asyncpg.Pool
) -> None:
    client = encrypted_client
    merchant_id = f"acme-{uuid.uuid4().hex[:6]}"
    acts = RecordingActivities(merchants={merchant_id: make_merchant(merchant_id=merchant_id)})
    request = make_request(merchant_id=merchant_id)
    case_id = request.case_id
    async with running_worker(client, acts) as task_queue:
        await start_case(client, request, task_queue)
        await eventually(
            partial(case_state, client, case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        resent = await cancelflow(
            "cases", "resend", case_reference(case_id), "--by", "ops:eva", "--note", "lost"
        )
        assert resent.exit_code == 0, resent.output
        assert f"case {case_id}: request sent to the merchant again (resend 1, Message-ID <" in (
            resent.output
        )
        assert [s.input.outbox_kind for s in acts.of(act.SEND_MERCHANT_REQUEST)] == [  # type: ignore[attr-defined]
            "request",
            "request-resend-1",
        ]
        timeline = await case_timeline(client, case_id)
        [asked] = [e for e in timeline.entries if e.kind == "resend_requested"]
        assert asked.actor == "ops:eva" and asked.details == {"note": "lost"}

        await submit_answer(
            client,
            case_id,
            HasNowBeenCancelled(
                access_until="2030-01-31",
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await case_handle(client, case_id).result()
        refused = await cancelflow("cases", "resend", case_id)
        assert refused.exit_code == 3
        assert (
            f"case {case_id} refused the resend: the case is closed; "
            "there is no request to send again" in refused.output
        )
        assert len(acts.of(act.SEND_MERCHANT_REQUEST)) == 2
