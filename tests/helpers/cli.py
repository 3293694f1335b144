"""Running `cancelflow`: in-process (click's CliRunner, for commands that need no process of
their own) and as a child process with an explicit environment."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import Result
from temporalio.testing import WorkflowEnvironment

from workers.settings import Settings


async def cancelflow(*args: str) -> Result:
    """Run the `cancelflow` CLI in-process."""
    from click.testing import CliRunner

    from workers.cli import cli

    # The CLI runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), catch_exceptions=False)


CANCELFLOW = str(Path(sys.executable).parent / "cancelflow")


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def temporal_address(env: WorkflowEnvironment) -> str:
    return str(env.client.service_client.config.target_host)


def clean_environ() -> dict[str, str]:
    """This process's environment without settings that would point a child elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CANCELFLOW_", "TEMPORAL_")) and key != "DATABASE_URL"
    }


@dataclass(frozen=True)
class Stack:
    """The test's servers as settings and as the environment of a child process."""

    settings: Settings
    env: dict[str, str]


async def run_cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> CliResult:
    """Run `cancelflow ARGS` as a child process without blocking the test's event loop
    (an in-process worker must keep running while the CLI waits for the workflow)."""
    process = await asyncio.create_subprocess_exec(
        CANCELFLOW,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(), err.decode())
