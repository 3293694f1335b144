"""Cases in every end state reachable on a real server are archived, deleted from Temporal,
and read back from the archive with the same timeline and the same final state."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError

from cases.client import (
    case_handle,
    case_state,
    correct_customer_details,
    start_case,
    submit_answer,
    withdraw_case,
)
from cases.history_source import CaseHistoryNotFound, HistorySource
from domain.actions import DetailsCorrection, WithdrawalRequest
from domain.answers import BindingContract, HasNowBeenCancelled, NoSubscriptionFound, OtherReason
from domain.case import CaseState, CaseStatus
from domain.common import Channel
from domain.customer import CustomerIdentifiers
from ops.audit import case_timeline, timeline_of_runs
from storage.archive import ArchiveStore
from tests.conftest import cancelflow
from tests.eventually import eventually
from tests.replay.reordered_workflow import ReorderedCancellationWorkflow
from tests.workflows.harness import RecordingActivities, make_merchant, make_request, running_worker
from workers.commands.replay import replay_runs
from workflows.cancellation import CancellationWorkflow, workflow_id_for

from .conftest import Archiver, delete_from_temporal, wait_until_deleted

SECRETS = ("anna.svensson@example.com", "Svensson", "Storgatan", "C-778899", "fraud")

Drive = Callable[[Client, str], Awaitable[None]]


def _by() -> dict[str, Any]:
    return {"answered_at": datetime.now(UTC), "channel": Channel.PORTAL, "responded_by": "Bo"}


async def _status(client: Client, case_id: str, status: CaseStatus) -> None:
    await eventually(lambda: case_state(client, case_id), lambda s: s.status is status)


async def cancelled(client: Client, case_id: str) -> None:
    await submit_answer(
        client, case_id, HasNowBeenCancelled(access_until=date(2030, 1, 31), **_by())
    )


async def other_reason(client: Client, case_id: str) -> None:
    await submit_answer(client, case_id, OtherReason(message="fraud investigation", **_by()))


async def withdrawn(client: Client, case_id: str) -> None:
    await withdraw_case(client, case_id, WithdrawalRequest(reason="changed my mind"))


async def binding_contract_round_two(client: Client, case_id: str) -> None:
    # With the merchant's one-day notice period, the follow-up is 09:00 (merchant time) the
    # day before the contract ends: already past, whatever the time of day the test runs,
    # so round 2 (continue-as-new) starts at once.
    ends = datetime.now(UTC).date()
    await submit_answer(client, case_id, BindingContract(contract_ends_on=ends, **_by()))
    await eventually(
        lambda: case_state(client, case_id),
        lambda s: s.round == 2 and s.status is CaseStatus.AWAITING,
    )
    await cancelled(client, case_id)


async def corrected_round_two(client: Client, case_id: str) -> None:
    await submit_answer(client, case_id, NoSubscriptionFound(**_by()))
    await _status(client, case_id, CaseStatus.FOLLOW_UP)
    corrected = CustomerIdentifiers(
        email="anna.s@example.org", first_name="A", last_name="B", card_last4="1111"
    )
    await correct_customer_details(client, case_id, DetailsCorrection(customer=corrected))
    await eventually(
        lambda: case_state(client, case_id),
        lambda s: s.round == 2 and s.status is CaseStatus.AWAITING,
    )
    await cancelled(client, case_id)


SCENARIOS: dict[str, tuple[Drive, CaseStatus, int]] = {
    "cancelled": (cancelled, CaseStatus.CLOSED, 1),
    "other-reason": (other_reason, CaseStatus.CLOSED, 1),
    "withdrawn": (withdrawn, CaseStatus.WITHDRAWN, 1),
    "binding-contract-round-two": (binding_contract_round_two, CaseStatus.CLOSED, 2),
    "corrected-round-two": (corrected_round_two, CaseStatus.CLOSED, 2),
}


async def _final_state(client: Client, case_id: str) -> CaseState:
    handle = case_handle(client, case_id)
    try:
        return await handle.result()
    except WorkflowFailureError:
        return await handle.query(CancellationWorkflow.state)


async def _timeline_json(client: Client, store: ArchiveStore, case_id: str) -> str:
    runs = await HistorySource(client, store).case_histories(case_id)
    timeline = await timeline_of_runs(client.data_converter, case_id, runs.events, runs.run_ids)
    return json.dumps(timeline.to_json(), default=str, indent=2)


async def _archived_state(client: Client, store: ArchiveStore, case_id: str) -> CaseState | None:
    return await HistorySource(client, store).archived_state(case_id)


@dataclass
class Before:
    case_id: str
    status: CaseStatus
    runs: list[str]
    timeline: str
    state: CaseState


async def _run_case(client: Client, task_queue: str, name: str) -> Before:
    request = make_request(merchant_id="nobody" if name == "failed" else "acme")
    await start_case(client, request, task_queue)
    if name == "failed":
        expected_status, expected_runs = CaseStatus.FAILED, 1
    else:
        drive, expected_status, expected_runs = SCENARIOS[name]
        await _status(client, request.case_id, CaseStatus.AWAITING)
        await drive(client, request.case_id)
    state = await _final_state(client, request.case_id)
    assert state.status is expected_status, name
    live = await case_timeline(client, request.case_id)
    assert len(live.runs) == expected_runs, name
    return Before(
        request.case_id,
        expected_status,
        live.runs,
        json.dumps(live.to_json(), default=str, indent=2),
        state,
    )


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
    assert result.written == sum(len(c.runs) for c in cases) and not result.gone
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
    assert json.loads(status.output)["runs"] == len(archived)
    exported = await cancelflow("archive", "export", cases[0].case_id)
    record = json.loads(exported.output)
    assert record["decrypted"] and len(record["runs"]) == len(cases[0].runs)
    # Decrypted for the customer's or regulator's request: the identifiers are readable.
    assert "anna.svensson@example.com" in exported.output
