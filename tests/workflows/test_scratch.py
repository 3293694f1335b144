from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from tests.workflows.harness import RecordingActivities, make_merchant, make_request, running_worker
from workflows.client import start_case, submit_answer, case_state


async def test_scratch(time_skipping_env: WorkflowEnvironment) -> None:
    client = time_skipping_env.client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    async with running_worker(client, acts) as tq:
        req = make_request()
        started = await start_case(client, req, tq)
        assert started.created
        again = await start_case(client, req, tq)
        assert not again.created
        import asyncio
        for _ in range(50):
            st = await case_state(client, req.case_id)
            if st.status == CaseStatus.AWAITING: break
            await asyncio.sleep(0.1)
        ans = HasNowBeenCancelled(access_until="2026-12-31", answered_at=datetime.now(UTC), channel=Channel.PORTAL, responded_by="x")
        r = await submit_answer(client, req.case_id, ans)
        assert r.recorded
        res = await started.handle.result()
        assert res.status == CaseStatus.CLOSED
        print(acts.sent)
