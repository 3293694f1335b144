"""`cancelflow triage suggest MESSAGE.eml [--received] [--json]`: the reader alone, on a file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.replies.client_messages import RAW_MESSAGES
from tests.replies.corpus import load
from workers.cli import cli


def _suggest(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["triage", "suggest", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_json_has_the_outcome_its_own_field_the_confidence_and_the_evidence(
    tmp_path: Path,
) -> None:
    message = tmp_path / "outlook-sv-html.eml"
    message.write_bytes(RAW_MESSAGES["outlook-sv-html.eml"])
    code, output = _suggest(str(message), "--language", "sv", "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "outcome": "has_now_been_cancelled",
        "access_until": "2027-04-30",
        "confidence": 0.92,
        "evidence": [
            "Abonnemanget är nu uppsagt.",
            "Kunden har tillgång till och med den 30 april.",
        ],
    }


def test_received_defaults_to_the_date_header_and_can_be_given(tmp_path: Path) -> None:
    [entry] = [e for e in load("corpus.txt") if e.id == "en-051"]  # "until 5 January"
    message = tmp_path / "reply.eml"
    message.write_bytes(entry.raw())  # its Date header: 2027-12-28
    _, by_header = _suggest(str(message), "--json")
    assert json.loads(by_header)["access_until"] == "2028-01-05"
    _, given = _suggest(str(message), "--received", "2027-01-02", "--json")
    assert json.loads(given)["access_until"] == "2027-01-05"


def test_no_suggestion_is_an_outcome_of_null_with_the_reason(tmp_path: Path) -> None:
    [entry] = [e for e in load("corpus.txt") if e.id == "en-027"]  # out of office
    message = tmp_path / "ooo.eml"
    message.write_bytes(entry.raw())
    code, output = _suggest(str(message), "--json")
    assert code == 0
    assert json.loads(output) == {
        "outcome": None,
        "reason": "an automatic reply (Auto-Submitted: auto-replied)",
    }
    code, text = _suggest(str(message))
    assert code == 0 and text.startswith("suggestion: no suggestion: an automatic reply")


def test_other_reason_carries_the_message_and_bad_input_names_the_option(tmp_path: Path) -> None:
    [entry] = [e for e in load("corpus.txt") if e.id == "en-024"]
    message = tmp_path / "other.eml"
    message.write_bytes(entry.raw())
    answer = json.loads(_suggest(str(message), "--json")[1])
    assert answer["outcome"] == "other_reason" and "App Store" in answer["message"]
    assert "access_until" not in answer
    undated = tmp_path / "undated.eml"
    undated.write_bytes(b"From: a@b.example\r\nSubject: Re: x\r\n\r\nCancelled.\r\n")
    code, output = _suggest(str(undated))
    assert code == 1 and "no readable Date header; give --received" in output
    code, output = _suggest(str(undated), "--received", "31/12/2027")
    assert code == 1 and "--received: must be a date written YYYY-MM-DD" in output
    code, output = _suggest(str(tmp_path / "missing.eml"))
    assert code == 1 and "no such file" in output
