"""`cancelflow` loads a command's module only when that command runs or shows its help: help
needs no Temporal client, database driver or settings (issue 17.4). Checked from the
interpreter's record of its imports, not by timing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from workers.cli import COMMANDS, cli, command_at

HEAVY = ("temporalio", "asyncpg", "pydantic", "fastapi", "workers.settings", "domain")


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [sys.executable, "-c", "from workers.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage: cancelflow" in done.stdout
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


# What a help that shows the domain's choices (outcomes, statuses) may not load either.
RUNTIME = ("temporalio", "asyncpg", "fastapi", "workers.settings", "cases", "storage")
CASES = ("audit", "erase", "show", "snooze", "start", "status", "withdraw")


def _heavy(imported: set[str], heavy: tuple[str, ...]) -> set[str]:
    return {m for m in imported if m.split(".")[0] in heavy or m in heavy}


@pytest.mark.parametrize(
    "args",
    [["--help"], ["cases", "--help"], *(["cases", name, "--help"] for name in CASES)],
    ids=" ".join,
)
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    imported = _imported(*args)
    assert "click" in imported
    assert not _heavy(imported, HEAVY)


@pytest.mark.parametrize("name", ["list", "respond"])
def test_help_with_domain_choices_loads_no_client_or_driver(name: str) -> None:
    """`cases list` shows the statuses and `cases respond` the outcomes and their fields,
    read from the domain's models; neither help connects to anything."""
    imported = _imported("cases", name, "--help")
    assert "domain.case" in imported or "domain.outcomes" in imported
    assert not _heavy(imported, RUNTIME)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_in_the_table_loads_and_shows_its_help(name: str) -> None:
    path = name.split()
    assert command_at(*path) is not None
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output
