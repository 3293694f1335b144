"""The bulk-answer activities as the bulk workflow sees them: names and typed data, no I/O."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.bulk_answers import BatchCounts

ANSWER_BULK_ROWS = "answer_bulk_rows"
FINISH_BULK_BATCH = "finish_bulk_batch"
DELIVER_BATCH_EVENT = "deliver_batch_event"
# A row whose case cannot be reached (Temporal busy or away) is retried with the activity;
# after this many attempts it is reported instead, so every row of a batch ends.
ROW_GIVE_UP_ATTEMPT = 12


class BulkAnswersInput(BaseModel):
    """A stored batch: its rows are read from PostgreSQL, never carried in the history."""

    batch_id: str
    merchant_id: str


class BulkRowsInput(BaseModel):
    batch_id: str
    limit: int = Field(ge=1, le=10_000, description="At most this many rows in one activity")


class BulkRowsDone(BaseModel):
    ended: int = Field(description="Rows this attempt gave a result")
    left: int = Field(description="Rows of the batch still without a result")


class BatchEventInput(BaseModel):
    batch_id: str
    merchant_id: str
    counts: BatchCounts
