"""Whose case an id is, decided by a lookup that costs the same whatever the answer.

Read before anything else when a merchant names a case (merchant API reads and answers):
another merchant's case must cost what an unknown id costs, or timing tells an intruder
which ids exist (issue 9 #3, issue 16 #1).
"""

from __future__ import annotations

from temporalio.client import Client

from cases.queries import case_query, quoted
from workflows.inputs import workflow_id_for


async def is_merchants_live_case(client: Client, case_id: str, merchant_id: str) -> bool:
    """Whether Temporal holds case_id as merchant_id's case: one visibility count filtered by
    both. It finds nothing alike for an unknown id and for another merchant's case, so neither
    answer takes longer; a describe could not do that (finding a workflow costs more than not
    finding one), nor an Update (its validator runs on a worker, for existing cases only).

    Visibility lists a case from its start, before the merchant can hear of it, so its own
    merchant finds it at once (on a store with a refresh lag, such as Elasticsearch, within
    about a second, still before its email goes out)."""
    query = case_query(
        merchant_id=merchant_id, extra=f"WorkflowId = {quoted(workflow_id_for(case_id))}"
    )
    return (await client.count_workflows(query)).count > 0
