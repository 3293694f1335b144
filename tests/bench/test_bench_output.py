"""What `cancelflow bench` prints while it runs and in its header: a line per phase (not the
in-process portal's info logs) and how the workers load the project's code (issue 23)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
import structlog

from bench.__main__ import quiet_logs
from bench.bytecode import has_bytecode, precompile
from bench.report import Report


def test_each_finished_phase_is_one_progress_line() -> None:
    out = io.StringIO()
    report = Report(size="tiny", progress=out)
    report.mark("throughput")
    report.mark("answer latency")
    assert out.getvalue().splitlines() == [
        "bench: throughput done in 0 s",
        "bench: answer latency done in 0 s",
    ]
    assert list(report.phases) == ["throughput", "answer latency"]


def test_the_header_says_how_the_code_was_loaded() -> None:
    report = Report(size="tiny", bytecode="precompiled, as in the production image (x)")
    assert "### Results: tiny\n\nBytecode: precompiled, as in the production image (x).\n" in (
        report.markdown()
    )


def test_the_portals_info_lines_are_not_printed_but_its_warnings_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = structlog.get_config()
    try:
        quiet_logs()
        log = structlog.get_logger("portal")
        log.info("api.answer", case_id="c-1")
        log.warning("api.slow", case_id="c-1")
        captured = capsys.readouterr()
    finally:
        structlog.configure(**before)
    assert "api.answer" not in captured.out + captured.err
    assert "api.slow" in captured.err


def test_bytecode_counts_only_when_python_would_use_it(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("VALUE = 1\n")
    assert not has_bytecode(source)
    import py_compile

    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    assert has_bytecode(source)
    later = time.time() + 10
    source.write_text("VALUE = 2  # changed\n")
    os.utime(source, (later, later))
    assert not has_bytecode(source)  # stale: Python would compile the source again


def test_from_source_says_so() -> None:
    assert precompile(from_source=True).startswith("from source")
