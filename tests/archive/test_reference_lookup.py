"""A case Temporal deleted after its retention is still found by the CF- reference that the
merchant writes in with (issue 18 #1): the CLI looks in the archive when Temporal has none."""

from __future__ import annotations

import json

from temporalio.client import Client

from cases.client import start_case
from domain.case import CaseStatus
from domain.reply_token import case_reference
from storage.archive import ArchiveStore
from tests.eventually import eventually
from tests.helpers.archive import (
    Archiver,
    _final_state,
    delete_from_temporal,
    wait_until_deleted,
    withdrawn,
)
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from workflows.cancellation import workflow_id_for


async def test_an_archived_case_is_found_by_its_reference(
    cli_env: None, encrypted_client: Client, store: ArchiveStore, archiver: Archiver
) -> None:
    client = encrypted_client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    request = make_request()
    reference = case_reference(request.case_id)
    async with running_worker(client, acts) as task_queue:
        started = await start_case(client, request, task_queue)
        await eventually(lambda: started.handle.describe(), lambda d: d.status is not None)
        await withdrawn(client, request.case_id)
        final = await _final_state(client, request.case_id)
        assert final.status is CaseStatus.WITHDRAWN
    await archiver.run()
    runs = [r.run_id for r in await store.runs_of_case(request.case_id)]
    assert runs
    await delete_from_temporal(client, workflow_id_for(request.case_id), runs)
    await wait_until_deleted(client, [(workflow_id_for(request.case_id), runs)])

    assert await store.cases_with_reference(reference) == [request.case_id]
    shown = await cancelflow("cases", "show", reference, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["state"]["status"] == "withdrawn"
    exported = await cancelflow("archive", "export", reference)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["case_id"] == request.case_id
