"""`cancelflow archive run` right after a case closes: it takes nothing and says why (#16.11)."""

from __future__ import annotations

import json

import pytest
from temporalio.client import Client, WorkflowFailureError

from cases.client import case_handle, start_case
from storage.archive import ArchiveStore
from tests.eventually import eventually
from tests.helpers.archive import Archiver
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_request, running_worker


async def test_archive_run_says_it_left_the_runs_closed_within_settle_seconds(
    cli_env: None,
    encrypted_client: Client,
    store: ArchiveStore,
    archiver: Archiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A case of an unknown merchant fails at once: one closed run, closed just now.
    request = make_request(merchant_id="nobody")
    async with running_worker(encrypted_client, RecordingActivities(merchants={})) as queue:
        await start_case(encrypted_client, request, queue)
        with pytest.raises(WorkflowFailureError):
            await case_handle(encrypted_client, request.case_id).result()
    monkeypatch.setenv("CANCELFLOW_TEMPORAL__TASK_QUEUE", archiver.task_queue)

    async def listed_as_waiting() -> dict[str, object]:
        result = await cancelflow("archive", "run", "--json")
        assert result.exit_code == 0, result.output
        data: dict[str, object] = json.loads(result.output)
        return data

    data = await eventually(
        listed_as_waiting, lambda d: d["not_yet_archived"] == 1, what="the closed run listed"
    )
    assert data["written"] == 0 and data["settle_seconds"] == 60

    text = await cancelflow("archive", "run")
    assert text.exit_code == 0, text.output
    assert text.output.splitlines() == [
        text.output.splitlines()[0],
        "1 closed run(s) not archived yet: runs that closed less than 60 s ago "
        "(settle_seconds) are left for the next run; run it again after that, or let the "
        "schedule take them",
    ]
    assert text.output.startswith("archived 0 run(s)")
    assert await store.runs_of_case(request.case_id) == []
