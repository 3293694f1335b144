"""Tracing follows the standard OTEL_* variables, and log lines carry the trace id."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from workers.observability.tracing import tracing_enabled

SCRIPT = """
import io, sys
from opentelemetry import trace
from workers.observability.tracing import configure_tracing, shutdown_tracing
from workers.logging import configure_logging
import structlog

assert configure_tracing("test")
stream = io.StringIO()
configure_logging("INFO", json=True, stream=stream)
with trace.get_tracer("t").start_as_current_span("answer") as span:
    structlog.get_logger("t").info("inside")
    expected = format(span.get_span_context().trace_id, "032x")
structlog.get_logger("t").info("outside")
shutdown_tracing()
sys.stdout.write("EXPECTED " + expected + "\\n" + stream.getvalue())
"""


def test_tracing_is_off_without_otel_variables() -> None:
    assert not tracing_enabled({})
    assert tracing_enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_enabled({"OTEL_TRACES_EXPORTER": "console"})
    assert not tracing_enabled({"OTEL_TRACES_EXPORTER": "none"})
    assert not tracing_enabled(
        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    )


def test_log_lines_inside_a_span_carry_its_trace_id() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_TRACES_EXPORTER"] = "console"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # The console exporter prints the spans first; our part starts at the marker.
    output = result.stdout[result.stdout.index("EXPECTED ") :].splitlines()
    expected = output[0].removeprefix("EXPECTED ")
    records = {r["event"]: r for r in map(json.loads, output[1:])}
    assert records["inside"]["trace_id"] == expected
    assert "trace_id" not in records["outside"]


def test_the_dev_server_is_started_without_otel_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The Temporal dev server refuses OTEL_TRACES_EXPORTER=console; ours must keep it.
    from workers.dev import _without_otel_variables

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "mine")
    with _without_otel_variables():
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import os; print(sorted(k for k in os.environ if 'OTEL' in k))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    assert child.stdout.strip() == "[]"
    assert os.environ["OTEL_TRACES_EXPORTER"] == "console"
    assert os.environ["OTEL_SERVICE_NAME"] == "mine"
