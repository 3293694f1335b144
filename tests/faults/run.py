"""Run the fault tests on one fresh stack and write the results table."""

from __future__ import annotations

import os
import platform
import re
import shutil
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from tests.faults import scenarios
from tests.faults.hangs import HANG_TESTS
from tests.faults.kill_waiting import kill_worker_waiting_for_answers
from tests.faults.scenarios import SIZES, Row, Size
from tests.faults.stack import fault_stack

BEGIN = "<!-- fault-suite results: begin -->"
END = "<!-- fault-suite results: end -->"

TESTS = [kill_worker_waiting_for_answers, *scenarios.TESTS, *HANG_TESTS]


def machine() -> str:
    cpus = os.cpu_count() or 0
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kib / 1024 / 1024:.1f} GiB"
    return f"{platform.machine()}, {cpus} cores{memory}, Python {platform.python_version()}"


async def run(
    size: Size, folder: Path | None = None, keep: bool = False, only: list[str] | None = None
) -> list[Row]:
    """Every test of the size (or only the named ones) on one fresh stack."""
    own = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="cancelflow-faults-"))
    rows: list[Row] = []
    try:
        async with fault_stack(folder) as stack:
            await stack.portal()
            for test in TESTS:
                if test.__name__ in size.skip or (only and test.__name__ not in only):
                    continue
                began = time.monotonic()
                try:
                    rows.append(await test(stack, size))
                except Exception as err:  # noqa: BLE001 - one broken test must not hide the rest
                    traceback.print_exc()
                    rows.append(
                        Row(
                            test.__name__,
                            "?",
                            "?",
                            -1,
                            -1,
                            None,
                            time.monotonic() - began,
                            f"the test itself failed: {type(err).__name__}: {err}",
                        )
                    )
    finally:
        if own and not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return rows


def table(rows: list[Row], size: Size) -> str:
    lines = [
        f"Size `{size.name}`, run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "",
        "| test | load | fault | lost | duplicated | 5xx | duration | machine |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        http = "-" if row.http_5xx is None else str(row.http_5xx)
        fault = row.fault + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {row.test} | {row.load} | {fault} | {row.lost} | {row.duplicated} | {http} "
            f"| {row.duration_s:.1f} s | {platform.node() or 'this machine'} |"
        )
    return "\n".join(lines)


def ok(rows: list[Row]) -> bool:
    """Nothing lost, no test broken, no 5xx but a 503 with Retry-After during an outage;
    duplicates are allowed (the SMTP window)."""
    return all(
        r.lost == 0 and r.duplicated >= 0 and (r.http_5xx or 0) == r.expected_5xx for r in rows
    ) and all("UNEXPECTED" not in r.note for r in rows)


def write(output: Path, text: str) -> None:
    block = f"{BEGIN}\n{text}\n{END}"
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    if BEGIN in current and END in current:
        updated = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, current, flags=re.S
        )
    else:
        updated = current + ("\n" if current else "") + block + "\n"
    output.write_text(updated, encoding="utf-8")


__all__ = ["SIZES", "ok", "run", "table", "write"]
