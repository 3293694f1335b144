"""An uploaded spreadsheet answered while the worker is killed -9 mid-way (issue 21 #4): every
row ends recorded exactly once or reported, each customer told (a second copy only from the
SMTP window at the kill, README "What is guaranteed when processes die").

The scenario and its checks are tests/faults/bulk_kill.py's. The issue asks for 5,000 rows:
`python -m tests.faults.bulk_kill --rows 5000` runs that size (docs/bulk-answers.md has its
figures). Here it runs at 120 (BULK_FAULT_ROWS to change it): the kill still falls mid-way
and every check is the same, at less than half the CPU of 300 rows (the suite is CPU-bound
on two cores).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.bulk_kill import run_bulk_kill, unexplained_duplicates

ROWS = int(os.environ.get("BULK_FAULT_ROWS", "120"))


# 600 rows took 213 s on a loaded two-core machine, 112 s on a quiet one.
@pytest.mark.timeout(1800)
async def test_rows_answered_while_the_worker_is_killed(tmp_path: Path) -> None:
    report = await run_bulk_kill(tmp_path / "faults", ROWS)
    print("\n".join(report.lines()))
    assert report.problems == []
    assert report.recorded == report.valid and report.refused == ROWS - report.valid


def test_a_duplicate_is_explained_only_by_the_smtp_window_at_the_kill() -> None:
    # a: once. b: sent by the killed worker, not yet 'sent' in the outbox, sent again by the
    # retry (the window). c: 'sent' before the kill, then again: an activity not idempotent.
    # d: not 'sent' at the kill, but both copies after it: sent twice by the live worker.
    received = {"a": 1, "b": 2, "c": 2, "d": 2}
    first_at = {"a": 1.0, "b": 4.0, "c": 2.0, "d": 9.0}
    found = unexplained_duplicates(
        received, first_at, ["a", "b", "c", "d"], unsent_at_kill={"b", "d"}, second_worker_at=5.0
    )
    assert [f.split(":")[0] for f in found] == ["duplicate c", "duplicate d"]
