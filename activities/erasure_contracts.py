"""The erasure activities as the erasure and retention workflows see them: names and typed
data, no I/O (issue 20)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.erasure import ErasureReceipt as ErasureReceipt
from domain.erasure import ErasureTrigger

WITHDRAW_FOR_ERASURE = "withdraw_for_erasure"
ERASE_CASE = "erase_case"
FIND_CASES_DUE_FOR_ERASURE = "find_cases_due_for_erasure"
ERASE_CLOSED_CASES = "erase_closed_cases"
# The ApplicationError type when no case has that id (neither Temporal nor the archive).
UNKNOWN_CASE = "UnknownCase"


class EraseCaseInput(BaseModel):
    case_id: str
    erased_by: str
    reason: str
    trigger: ErasureTrigger = ErasureTrigger.REQUEST
    withdrawn: bool = False


class FindDueInput(BaseModel):
    limit: int = Field(ge=1, le=1000)


class EraseClosedInput(BaseModel):
    case_ids: list[str]


class EraseClosedResult(BaseModel):
    erased: int
    already: int
    skipped: list[str] = Field(default_factory=list, description="Not found or still open")
