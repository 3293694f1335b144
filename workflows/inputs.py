"""What the case workflow is started and answered with.

Kept out of the workflow module and imported through the sandbox: the sandbox re-runs the
workflow module for every new workflow, and rebuilding these pydantic models each time cost
memory and CPU per case (issue 12).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from domain.answers import MerchantAnswer, parse_answer
from domain.archive import CASE_WORKFLOW_ID_PREFIX
from domain.case import CaseState, RoundSummary
from domain.common import format_validation_error
from domain.merchant import Merchant
from domain.request import CancellationRequest

WORKFLOW_ID_PREFIX = CASE_WORKFLOW_ID_PREFIX
# The validator's refusal type for an answer to another merchant's case, which the client
# reports exactly like a case that does not exist.
NOT_YOUR_CASE = "NotYourCase"


def workflow_id_for(case_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{case_id}"


class CaseInput(BaseModel):
    request: CancellationRequest
    round: int = Field(default=1, ge=1)
    merchant: Merchant | None = Field(
        default=None, description="The merchant as the case started with it (kept across rounds)"
    )
    previous_rounds: list[RoundSummary] = Field(default_factory=list)
    carry: CaseState | None = Field(
        default=None, description="State of a round that continued as new while waiting"
    )


class SubmitAnswer(BaseModel):
    # An answer that fails the domain rules still decodes (as a dict), so the validator can
    # refuse it with the rule that failed instead of a bare decoding error.
    answer: MerchantAnswer | dict[str, Any]
    merchant_id: str | None = Field(
        default=None,
        description="The merchant answering through its own key: another merchant's case "
        "refuses the answer as if it did not exist (ops and signed reply links leave it unset)",
    )

    def parsed(self) -> MerchantAnswer:
        """The answer, validated; raises ValueError naming the field and the rule."""
        if isinstance(self.answer, dict):
            try:
                return parse_answer(self.answer)
            except ValidationError as err:
                raise ValueError(format_validation_error(err)) from None
        return self.answer
