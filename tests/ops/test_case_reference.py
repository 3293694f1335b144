"""The CF-… reference every email and page shows finds the case (issue 18 #1): it is a search
attribute from the start, and every command that takes a case id takes the reference too."""

from __future__ import annotations

import json
import uuid
from functools import partial

from temporalio.client import Client

from cases.client import case_state, resolve_case_id, start_case
from cases.queries import case_query
from domain.case import CaseStatus
from domain.reply_token import case_reference
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from workflows import search_attributes as sa
from workflows.cancellation import CancellationWorkflow
from workflows.inputs import CaseInput, workflow_id_for


async def test_the_reference_is_searchable_and_every_case_command_takes_it(
    cli_env: None, encrypted_client: Client
) -> None:
    client = encrypted_client
    merchant = make_merchant(merchant_id=f"fitgym-{uuid.uuid4().hex[:6]}", display_name="FitGym UK")
    acts = RecordingActivities(merchants={merchant.merchant_id: merchant})
    request = make_request(merchant_id=merchant.merchant_id)
    reference = case_reference(request.case_id)
    async with running_worker(client, acts) as task_queue:
        started = await start_case(client, request, task_queue, merchant_name="FitGym UK")
        await eventually(
            partial(case_state, client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        description = await started.handle.describe()
        assert description.typed_search_attributes.get(sa.CASE_REFERENCE) == reference
        assert await description.static_summary() == (
            f"{reference}: cancel Acme Premium at FitGym UK ({merchant.merchant_id})"
        )
        query = case_query(extra=f"CaseReference = '{reference}'")
        listed = await eventually(
            lambda: _ids(client, query),
            lambda ids: bool(ids),
            what="the reference to be searchable",
        )
        assert listed == [request.case_id]

        for given in (reference, reference.lower(), f" {reference} "):
            assert await resolve_case_id(client, given) == request.case_id
        shown = await cancelflow("cases", "show", reference)
        assert shown.exit_code == 0, shown.output
        assert request.case_id in shown.output and "awaiting" in shown.output
        assert f"{request.case_id}, {reference}" in shown.output
        listed_json = await cancelflow(
            "cases", "list", "--merchant", merchant.merchant_id, "--json"
        )
        [row] = json.loads(listed_json.output)["cases"]
        assert row["reference"] == reference
        table = await cancelflow("cases", "list", "--merchant", merchant.merchant_id)
        assert reference in table.output.splitlines()[1]
        status = await cancelflow("cases", "status", reference.lower(), "--json")
        assert status.exit_code == 0, status.output
        assert json.loads(status.output)["case_id"] == request.case_id
        audit = await cancelflow("cases", "audit", reference)
        assert audit.exit_code == 0 and "request_received" in audit.output
        snoozed = await cancelflow(
            "cases", "snooze", reference, "--until", "2099-01-05", "--reason", "holiday"
        )
        assert snoozed.exit_code == 0 and f"case {request.case_id}: snoozed" in snoozed.output
        withdrawn = await cancelflow("cases", "withdraw", reference, "--reason", "changed mind")
        assert withdrawn.exit_code == 0, withdrawn.output
        assert f"case {request.case_id}: withdrawal recorded" in withdrawn.output

        # A reference no case carries is an unknown case, named as typed.
        unknown = await cancelflow("cases", "status", "CF-AAAAAAAA")
        assert unknown.exit_code == 1 and "no case 'CF-AAAAAAAA'" in unknown.output


async def test_a_case_started_without_the_attribute_is_found_by_its_reference(
    cli_env: None, encrypted_client: Client
) -> None:
    """As a case started before this release: no CaseReference in its start attributes."""
    client = encrypted_client
    merchant = make_merchant(merchant_id=f"old-{uuid.uuid4().hex[:6]}")
    acts = RecordingActivities(merchants={merchant.merchant_id: merchant})
    request = make_request(merchant_id=merchant.merchant_id)
    async with running_worker(client, acts) as task_queue:
        await client.start_workflow(
            CancellationWorkflow.run,
            CaseInput(request=request),
            id=workflow_id_for(request.case_id),
            task_queue=task_queue,
        )
        await eventually(
            partial(case_state, client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        reference = case_reference(request.case_id)

        async def resolved() -> str:
            return await resolve_case_id(client, reference)

        assert await eventually(resolved, lambda r: r == request.case_id) == request.case_id
        # Its first status change set the attribute as well (the case-reference patch).
        description = await client.get_workflow_handle(workflow_id_for(request.case_id)).describe()
        assert description.typed_search_attributes.get(sa.CASE_REFERENCE) == reference


async def _ids(client: Client, query: str) -> list[str]:
    return [e.id.removeprefix("case-") async for e in client.list_workflows(query)]
