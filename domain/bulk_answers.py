"""Answers in bulk: the columns a spreadsheet carries, how its rows are read, what each row
ends as, and the event that closes a batch. Pure rules; the job runs in workflows/bulk_answers.

Every row is still one answer to one case, checked by that case's own validator: nothing here
decides whether a case takes an answer, only whether a row is an answer at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.outcomes import OUTCOMES, bulk_answer_columns, date_fields
from domain.wording import ISO_DATE_RULE, read_iso_date

MAX_API_ITEMS = 500
MAX_UPLOAD_ROWS = 10_000
# Ten thousand rows with a full 2,000-character message each would be 20 MB; a file of
# dates and short messages is well under this.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# The answer columns, named as in the API, from each outcome's definition (domain/outcomes.py):
# a field added to an outcome appears here.
ANSWER_COLUMNS: tuple[str, ...] = bulk_answer_columns()
DATE_COLUMNS: frozenset[str] = frozenset(date_fields())
# Which answer columns each outcome takes: every other one must be left empty.
OUTCOME_COLUMNS: dict[str, frozenset[str]] = {
    outcome.value: frozenset(f.name for f in spec.fields) for outcome, spec in OUTCOMES.items()
}
CASE_ID_COLUMN = "case_id"


class RowResult(StrEnum):
    """What a row ends as: every row of an accepted batch ends as one of these."""

    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"
    REFUSED = "refused"


class BatchSource(StrEnum):
    API = "api"
    UPLOAD = "upload"
    PORTAL = "portal"


class FieldProblem(BaseModel):
    field: str
    message: str


class RowProblem(BaseModel):
    """Why a row was refused, in the shape a single API call's problem document has."""

    model_config = ConfigDict(frozen=True)

    status: int = Field(description="The status a single call would have answered: 404, 409, 422")
    title: str
    detail: str
    errors: list[FieldProblem] | None = None


def not_found_problem(case_id: str) -> RowProblem:
    # The single call's words: unknown and another merchant's case read the same.
    return RowProblem(status=404, title="Case not found", detail=f"you have no case '{case_id}'")


def rejected_problem(reason: str) -> RowProblem:
    return RowProblem(status=409, title="Answer not recorded", detail=reason)


def invalid_problem(errors: list[dict[str, str]]) -> RowProblem:
    return RowProblem(
        status=422,
        title="Validation failed",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=[FieldProblem(**e) for e in errors],
    )


def bulk_reference(batch_id: str, position: int) -> str:
    """The answer's reference: the case's audit shows it came in bulk, from which batch and
    row; a retried row recognises its own earlier answer by it."""
    return f"bulk {batch_id} item {position + 1}"


class BatchCounts(BaseModel):
    total: int
    recorded: int = 0
    already_recorded: int = 0
    refused: int = 0

    @property
    def left(self) -> int:
        return self.total - self.recorded - self.already_recorded - self.refused

    @property
    def done(self) -> int:
        return self.recorded + self.already_recorded


class BatchCompletedData(BaseModel):
    model_config = ConfigDict(frozen=True)

    batch_id: str
    merchant_id: str
    source: BatchSource
    total: int
    recorded: int
    already_recorded: int
    refused: int


class BatchCompletedEvent(BaseModel):
    """answers.batch_completed: one per batch, after every row has ended, with the counts.
    Each recorded answer also has its own cancellation.answer_recorded, as always."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Deduplicate on this: a redelivery carries the same id")
    type: str = "answers.batch_completed"
    timestamp: datetime
    data: BatchCompletedData


BATCH_COMPLETED = "answers.batch_completed"


def batch_event_id(batch_id: str) -> str:
    return f"evt_{batch_id}_batch_completed"


# --- spreadsheets ------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading quote
    (OWASP's CSV injection advice), so '=HYPERLINK(...)' in a name is never run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(c) for c in row])
    return out.getvalue()


# Why a file is refused as a whole, in English; the portal words each key in both languages.
UPLOAD_REFUSALS: dict[str, str] = {
    "too_large": "the file is {size} bytes; the limit is {limit} bytes",
    "not_text": "the file is not a text file (it contains NUL bytes)",
    "not_utf8": "the file is not UTF-8 text (byte {position} is not valid UTF-8); "
    "save it as 'CSV UTF-8'",
    "empty": "the file is empty",
    "not_csv": "row {row}: the file is not valid CSV ({error})",
    "missing_columns": "the first row must name the columns; missing: {columns}",
    "duplicate_columns": "columns named twice: {columns}",
    "too_many_rows": "the file has {rows} rows; the limit is {limit}",
    "extra_cells": "row {row} has {cells} cells but the first row names {columns} columns",
    "no_answers": "no row has an outcome: fill in the outcome column of the rows you answer",
}


class UploadRefused(ValueError):
    """The file as a whole cannot be read; nothing from it is recorded. str() says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(UPLOAD_REFUSALS[key].format(**values))
        self.key = key
        self.values = values


@dataclass(frozen=True)
class UploadRow:
    """One filled row: its line in the file (the header is row 1), the case and either the
    answer's own fields or the problems that refuse it."""

    row_number: int
    case_id: str
    fields: dict[str, Any] | None
    problems: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedUpload:
    rows: list[UploadRow]
    delimiter: str
    blank_rows: int
    """Rows with no outcome: left as they were downloaded, not answers."""


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise UploadRefused("not_text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UploadRefused("not_utf8", position=err.start + 1) from None
    return text


def _delimiter(header_line: str) -> str:
    # Excel in Swedish saves with ';' (',' is the decimal sign there); either is taken.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_upload(data: bytes) -> ParsedUpload:
    """The filled rows of an uploaded CSV, or UploadRefused for the whole file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused("too_large", size=len(data), limit=MAX_UPLOAD_BYTES)
    text = _decode(data)
    if not text.strip():
        raise UploadRefused("empty")
    first_line = text.splitlines()[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as err:
        raise UploadRefused("not_csv", row=reader.line_num, error=err) from None
    header = [h.strip().lstrip("\ufeff").lower() for h in records[0]]
    missing = [c for c in (CASE_ID_COLUMN, *ANSWER_COLUMNS) if c not in header]
    if missing:
        raise UploadRefused("missing_columns", columns=", ".join(missing))
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise UploadRefused("duplicate_columns", columns=", ".join(duplicated))
    body = records[1:]
    if len(body) > MAX_UPLOAD_ROWS:
        raise UploadRefused("too_many_rows", rows=len(body), limit=MAX_UPLOAD_ROWS)
    index = {name: header.index(name) for name in (CASE_ID_COLUMN, *ANSWER_COLUMNS)}
    rows: list[UploadRow] = []
    blank = 0
    for offset, record in enumerate(body):
        row_number = offset + 2
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            raise UploadRefused(
                "extra_cells", row=row_number, cells=len(record), columns=len(header)
            )
        cells = {name: (record[i].strip() if i < len(record) else "") for name, i in index.items()}
        if not cells["outcome"]:
            if any(cells[c] for c in ANSWER_COLUMNS):
                rows.append(
                    UploadRow(
                        row_number,
                        cells[CASE_ID_COLUMN],
                        None,
                        [{"field": "outcome", "message": "is required when an answer is given"}],
                    )
                )
            else:
                blank += 1
            continue
        rows.append(_row(row_number, cells))
    return ParsedUpload(rows=rows, delimiter=delimiter, blank_rows=blank)


def _row(row_number: int, cells: dict[str, str]) -> UploadRow:
    case_id = cells[CASE_ID_COLUMN]
    outcome = cells["outcome"].lower()
    problems: list[dict[str, str]] = []
    if not case_id:
        problems.append({"field": CASE_ID_COLUMN, "message": "is required"})
    if outcome not in OUTCOME_COLUMNS:
        problems.append(
            {"field": "outcome", "message": "must be one of: " + ", ".join(OUTCOME_COLUMNS)}
        )
        return UploadRow(row_number, case_id, None, problems)
    wanted = OUTCOME_COLUMNS[outcome]
    fields: dict[str, Any] = {"outcome": outcome}
    for name in ANSWER_COLUMNS:
        if name == "outcome":
            continue
        value = cells[name]
        if name not in wanted:
            if value:
                problems.append(
                    {"field": name, "message": f"must be empty for the outcome {outcome}"}
                )
            continue
        if name in DATE_COLUMNS:
            parsed = iso_date(value)
            if not value:
                problems.append(
                    {"field": name, "message": f"is required for the outcome {outcome}"}
                )
                continue
            if parsed is None:
                problems.append(
                    {
                        "field": name,
                        "message": ISO_DATE_RULE,
                    }
                )
                continue
            fields[name] = parsed.isoformat()
        else:
            fields[name] = value
    return UploadRow(row_number, case_id, None if problems else fields, problems)


def iso_date(value: str) -> date | None:
    """A date written YYYY-MM-DD, and no other way ('1/2/2027' is two dates in two countries)."""
    return read_iso_date(value)
