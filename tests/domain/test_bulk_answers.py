"""Reading an uploaded spreadsheet and writing one that is safe to open (issue 21 #2)."""

from __future__ import annotations

import csv
import io

import pytest

from domain.bulk_answers import (
    ANSWER_COLUMNS,
    MAX_UPLOAD_ROWS,
    UploadRefused,
    parse_upload,
    spreadsheet_cell,
    write_csv,
)
from domain.wording import ISO_DATE_RULE
from portal.merchant_settings.bulk_words import BulkTranslator, reason_in

HEADER = "reference,case_id,outcome,access_until,cancelled_on,contract_ends_on,message"


def test_the_answer_columns_are_named_as_in_the_api() -> None:
    assert ANSWER_COLUMNS == (
        "outcome",
        "access_until",
        "cancelled_on",
        "contract_ends_on",
        "message",
    )


@pytest.mark.parametrize(
    ("bom", "delimiter", "newline"),
    [(False, ",", "\n"), (True, ";", "\r\n"), (False, ";", "\r\n"), (True, ",", "\r\n")],
    ids=["comma-lf", "semicolon-bom-crlf", "semicolon-crlf", "comma-bom-crlf"],
)
def test_what_spreadsheets_save_is_read(bom: bool, delimiter: str, newline: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(HEADER.split(","))
    writer.writerow(["CF-1", "c-1", "has_now_been_cancelled", "2027-01-31", "", "", ""])
    writer.writerow(["CF-2", "c-2", "", "", "", "", ""])
    writer.writerow(["CF-3", "c-3", "other_reason", "", "", "", "Två rader\nhär; och, också"])
    parsed = parse_upload((("\ufeff" if bom else "") + out.getvalue()).encode("utf-8"))
    assert parsed.delimiter == delimiter
    assert parsed.blank_rows == 1
    assert [(r.row_number, r.case_id, r.fields) for r in parsed.rows] == [
        (2, "c-1", {"outcome": "has_now_been_cancelled", "access_until": "2027-01-31"}),
        (4, "c-3", {"outcome": "other_reason", "message": "Två rader\nhär; och, också"}),
    ]


@pytest.mark.parametrize("written", ["31/12/2030", "2030-12-31T00:00", "20301231", "2030-02-30"])
def test_any_other_date_form_is_refused_naming_row_and_column(written: str) -> None:
    data = f"{HEADER}\nCF-1,c-1,has_now_been_cancelled,{written},,,\n".encode()
    [row] = parse_upload(data).rows
    assert row.fields is None and row.row_number == 2
    assert row.problems == [
        {
            "field": "access_until",
            "message": ISO_DATE_RULE,
        }
    ]


def test_a_column_the_outcome_does_not_take_is_refused() -> None:
    data = f"{HEADER}\nCF-1,c-1,no_subscription_found,2030-01-01,,,\n".encode()
    [row] = parse_upload(data).rows
    assert row.problems[0]["field"] == "access_until"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "empty"),
        (b"\xff\xfecase_id", "not_utf8"),
        (b"case_id\x00,outcome", "not_text"),
        (b"case_id;svar\r\nc-1;x\r\n", "missing_columns"),
        (f"{HEADER},outcome\n".encode(), "duplicate_columns"),
        (f'{HEADER}\n"c-1,unterminated\n'.encode(), "not_csv"),
        (f"{HEADER}\nCF,c-1,no_subscription_found,,,,,surplus\n".encode(), "extra_cells"),
        ((HEADER + "\n" + "CF,c,,,,,\n" * (MAX_UPLOAD_ROWS + 1)).encode(), "too_many_rows"),
        (b"x" * (5 * 1024 * 1024 + 1), "too_large"),
    ],
)
def test_a_malformed_file_is_refused_as_a_whole(data: bytes, key: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        parse_upload(data)
    assert refused.value.key == key
    assert str(refused.value)
    assert BulkTranslator("sv").upload_refusal(refused.value) != str(refused.value)


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_cells_that_would_be_formulas_are_text(cell: str) -> None:
    assert spreadsheet_cell(cell) == "'" + cell
    assert write_csv(["h"], [[cell]]).splitlines()[1].lstrip('"').startswith("'")


def test_plain_cells_are_unchanged() -> None:
    assert spreadsheet_cell("2026-12-31") == "2026-12-31"
    assert spreadsheet_cell("Anna Svensson") == "Anna Svensson"
    assert spreadsheet_cell(None) == ""


def test_the_validators_reasons_in_swedish() -> None:
    assert reason_in("you have no case 'c-9'", "sv") == "ni har inget ärende 'c-9'"
    assert reason_in(
        "an answer was already recorded on 2026-12-01T10:00:00+01:00 through api "
        "(other_reason); a different answer cannot replace it",
        "sv",
    ).startswith("ett annat svar registrerades redan 2026-12-01T10:00:00+01:00 via api")
    assert reason_in("the case is closed; it no longer takes answers", "sv") == (
        "ärendet är closed; det tar inte längre emot svar"
    )
    assert reason_in("something new", "sv") == "something new"
    assert reason_in("you have no case 'c-9'", "en") == "you have no case 'c-9'"
