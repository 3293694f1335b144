"""The benchmark's tiny size, so the committed command cannot rot. Asserts that it measured
honestly and reported every row; never how fast anything was (the goals are not tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import BEGIN, END
from bench.run import SIZES, run

ROWS = [
    "case throughput ÷ bare",
    "per-case keys ÷ ring key alone",
    "history events, happy path",
    "billable Temporal Cloud actions, happy path",
    "one merchant at a time, p50",
    "one merchant at a time, p99",
    "concurrent merchants, p50",
    "concurrent merchants, p99",
    "worker RSS with",
    "drain rate",
    "lateness p95",
]


@pytest.mark.timeout(600)
async def test_tiny_benchmark_is_honest_and_reports_every_row(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nHand-written text stays.\n")

    report = await run(SIZES["tiny"], output)

    assert report.honest, report.honesty
    written = output.read_text()
    assert written.startswith("# Benchmarks\n\nHand-written text stays.\n")
    assert written.count(BEGIN) == 1 and written.count(END) == 1
    for row in ROWS:
        [found] = [r for r in report.rows if row in r.measure]
        assert len(found.case) == len(found.bare) or row.startswith(("history", "billable")), row
        assert found.case and found.bare and found.ratio, row
        assert row in written
    [actions] = [r for r in report.rows if "billable" in r.measure]
    # The case's happy path may cost at most two actions more than the bare shape (issue 23).
    assert max(actions.case) <= min(actions.bare) + 2, (actions.case, actions.bare)
    for name in ("cores", "CPU", "Python", "temporal CLI / dev server"):
        assert f"- {name}: " in written
