"""Log lines: JSON with case and workflow ids, customer identifiers blanked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from workers.logging import REDACTED, case_id_from_workflow_id, configure_logging


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        yield stream
    finally:
        root.handlers, root.level = handlers, level
        structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_customer_identifier_fields_never_reach_a_log_line(
    json_logs: io.StringIO,
) -> None:
    structlog.get_logger("t").info(
        "something.happened", case_id="c-1", email="anna@example.com", card_last4="4242",
        customer={"first_name": "Anna"}, merchant_id="demo",
    )  # fmt: skip
    [line] = lines(json_logs)
    assert line["event"] == "something.happened"
    assert line["case_id"] == "c-1" and line["merchant_id"] == "demo"
    assert line["email"] == line["card_last4"] == line["customer"] == REDACTED
    assert "anna@example.com" not in json.dumps(line)


def test_sdk_log_records_carry_workflow_and_case_ids(
    json_logs: io.StringIO,
) -> None:
    # What temporalio's activity.logger attaches to its records.
    logging.getLogger("temporalio.activity").warning(
        "Completing activity as failed",
        extra={
            "temporal_activity": {
                "workflow_id": "case-abc-1",
                "activity_type": "notify",
                "attempt": 3,
            }
        },
    )
    [line] = lines(json_logs)
    assert line["workflow_id"] == "case-abc-1"
    assert line["case_id"] == "abc-1"
    assert line["activity_type"] == "notify" and line["attempt"] == 3
    assert line["level"] == "warning"


def test_bad_level_names_the_setting() -> None:
    with pytest.raises(ValueError, match="log_level: 'LOUD'"):
        configure_logging("LOUD", json=True)


def test_case_id_only_from_case_workflows() -> None:
    assert case_id_from_workflow_id("case-x-1") == "x-1"
    assert case_id_from_workflow_id("ops-digest") is None
    assert case_id_from_workflow_id(None) is None
