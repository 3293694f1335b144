"""Cases in every end state reachable on a real server are archived, deleted from Temporal,
and read back from the archive with the same timeline and the same final state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from temporalio.client import Client

from cases.history_source import CaseHistoryNotFound, HistorySource
from domain.case import CaseState
from ops.audit import timeline_of_runs
from storage.archive import ArchiveStore
from tests.helpers.archive import (
    SCENARIOS,
    Archiver,
    _run_case,
    delete_from_temporal,
    wait_until_deleted,
)
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, running_worker
from tests.replay.reordered_workflow import ReorderedCancellationWorkflow
from workers.commands.replay import replay_runs
from workflows.cancellation import workflow_id_for

SECRETS = ("anna.svensson@example.com", "Svensson", "Storgatan", "C-778899", "fraud")


async def _timeline_json(client: Client, store: ArchiveStore, case_id: str) -> str:
    runs = await HistorySource(client, store).case_histories(case_id)
    timeline = await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)
    return json.dumps(timeline.to_json(), default=str, indent=2)


async def _archived_state(client: Client, store: ArchiveStore, case_id: str) -> CaseState | None:
    return await HistorySource(client, store).archived_state(case_id)


async def _cli_reads(case_id: str) -> tuple[str, dict[str, Any]]:
    audit = await cancelflow("cases", "audit", case_id, "--json")
    assert audit.exit_code == 0, audit.output
    show = await cancelflow("cases", "show", case_id, "--json")
    assert show.exit_code == 0, show.output
    return audit.output, json.loads(show.output)["state"]


async def test_deleted_cases_read_the_same_from_the_archive(
    cli_env: None, encrypted_client: Client, store: ArchiveStore, archiver: Archiver
) -> None:
    client = encrypted_client
    acts = RecordingActivities(merchants={"acme": make_merchant(notice_period_days=1)})
    async with running_worker(client, acts) as task_queue:
        cases = [await _run_case(client, task_queue, name) for name in [*SCENARIOS, "failed"]]
        # The failed case's state is its query's answer, which needs this worker.
        cli_before = {}
        for case in cases:
            assert await _timeline_json(client, store, case.case_id) == case.timeline
            cli_before[case.case_id] = await _cli_reads(case.case_id)

    result = await archiver.run()
    # The session's server is shared: runs that other modules' cases closed since the last
    # job are archived by this one too, so ours are counted by what the archive holds below.
    assert result.written >= sum(len(c.runs) for c in cases) and not result.gone
    again = await archiver.run()  # idempotent: nothing new, nothing written twice
    assert again.written == 0

    for case in cases:
        runs = await store.runs_of_case(case.case_id)
        assert [r.run_id for r in runs] == case.runs
        assert runs[-1].final_status == case.status.value
        # The history as Temporal held it: encrypted, no customer identifier in clear.
        for run in runs:
            for secret in SECRETS:
                assert secret.encode() not in run.history, (case.case_id, secret)

    archived = [r for c in cases for r in await store.runs_of_case(c.case_id)]
    assert await replay_runs(archived, client.data_converter) == []
    # The same histories against a reordered workflow (no workflow.patched): each case named.
    failures = await replay_runs(archived, client.data_converter, [ReorderedCancellationWorkflow])
    failed_cases = {f.case_id for f in failures}
    assert failed_cases and failed_cases <= {c.case_id for c in cases}
    assert all(f.event.startswith("event ") for f in failures), failures

    for case in cases:
        await delete_from_temporal(client, workflow_id_for(case.case_id), case.runs)
    await wait_until_deleted(client, [(workflow_id_for(c.case_id), c.runs) for c in cases])

    for case in cases:
        with pytest.raises(CaseHistoryNotFound):
            await HistorySource(client).case_histories(case.case_id)
        assert await _timeline_json(client, store, case.case_id) == case.timeline
        assert await _archived_state(client, store, case.case_id) == case.state
        # `cases audit --json` and `cases show --json` print what they printed before.
        assert await _cli_reads(case.case_id) == cli_before[case.case_id]

    replayed = await cancelflow("replay", "--since", "1d")
    assert replayed.exit_code == 0, replayed.output
    status = await cancelflow("archive", "status", "--json")
    # What the archive holds, ours and the shared server's other closed runs alike.
    counts = await store.counts()
    assert counts.runs >= len(archived)
    assert json.loads(status.output)["runs"] == counts.runs
    exported = await cancelflow("archive", "export", cases[0].case_id)
    record = json.loads(exported.output)
    assert record["decrypted"] and len(record["runs"]) == len(cases[0].runs)
    # Decrypted for the customer's or regulator's request: the identifiers are readable.
    assert "anna.svensson@example.com" in exported.output
