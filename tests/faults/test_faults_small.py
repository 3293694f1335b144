"""CI's fault suite: the small size on real processes (python -m tests.faults --small)."""

from __future__ import annotations

from pathlib import Path

from tests.faults.run import SIZES, ok, run, table


async def test_nothing_is_lost_under_the_small_faults(tmp_path: Path) -> None:
    size = SIZES["small"]
    rows = await run(size, tmp_path / "faults", keep=True)
    assert rows, "no test ran"
    assert any(row.test.startswith("kill -9 worker") for row in rows), "CI must kill a worker"
    assert ok(rows), table(rows, size) + f"\n(logs in {tmp_path / 'faults'})"
