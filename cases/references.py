"""Finding a case by what a person typed: its id or its CF-… reference."""

from __future__ import annotations

from typing import Protocol

from temporalio.client import Client

from cases.case_listing import list_cases
from cases.queries import quoted
from domain.reply_token import CASE_REFERENCE_PATTERN, case_reference
from workflows import search_attributes as sa


class ArchivedReferences(Protocol):
    async def cases_with_reference(self, reference: str) -> list[str]: ...


async def resolve_case_id(
    client: Client, given: str, archive: ArchivedReferences | None = None
) -> str:
    """The case id for what a person typed: a case id, or the CF-… reference of a case.

    A reference is looked up by its search attribute (open and closed cases Temporal still
    holds), then in the archive when given (cases Temporal deleted after its retention).
    Anything else, or a reference no case carries, is taken as the case id itself, so a case
    whose own id looks like a reference is still found.
    """
    candidate = given.strip()
    if not CASE_REFERENCE_PATTERN.fullmatch(candidate.upper()):
        return given
    reference = candidate.upper()
    by_attribute = f"{sa.CASE_REFERENCE.name} = {quoted(reference)}"
    found = await _cases_with_reference(client, reference, by_attribute, limit=10)
    if not found:
        # Cases started before the attribute existed carry it from their next status change
        # or round; until then the reference is recomputed from their ids.
        found = await _cases_with_reference(client, reference, f"{sa.CASE_REFERENCE.name} IS NULL")
    if not found and archive is not None:
        found = set(await archive.cases_with_reference(reference))
    return found.pop() if len(found) == 1 else given


async def _cases_with_reference(
    client: Client, reference: str, extra: str, limit: int | None = None
) -> set[str]:
    # The hash is checked too: a reference is derived from the id, never trusted alone.
    return {
        c.case_id
        async for c in list_cases(client, extra=extra, limit=limit)
        if case_reference(c.case_id) == reference
    }
