"""The worker process loads what it runs and no web framework: no FastAPI, no uvicorn or
Starlette, none of the portal's modules (its templates included). Checked on a real
`cancelflow worker` process, from the interpreter's own record of every import it made."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.eventually import eventually
from tests.helpers.servers import free_port

# portal.config is the portal's settings model, which the worker's Settings hold.
ALLOWED_PORTAL_MODULES = {"portal", "portal.config"}
FORBIDDEN_PACKAGES = {"fastapi", "uvicorn", "starlette"}


async def _status(url: str) -> int | None:
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            return (await http.get(url)).status_code
    except httpx.HTTPError:
        return None


async def test_worker_process_loads_no_web_framework(
    cli_env: None, dev_server_env: WorkflowEnvironment
) -> None:
    # cli_env: the shared dev server (search attributes registered) and a migrated database.
    port = free_port()
    env = {**os.environ, "CANCELFLOW_OPS__WORKER_PORT": str(port), "PYTHONPROFILEIMPORTTIME": "1"}
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from workers.cli import main; main()",
        "worker",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Ready means it polls the task queue with every activity built: all it will load.
        await eventually(
            lambda: _status(f"http://127.0.0.1:{port}/readyz"),
            lambda status: status == 200,
            what="the worker to be ready",
            within=60,
        )
        assert await _status(f"http://127.0.0.1:{port}/healthz") == 200
        assert await _status(f"http://127.0.0.1:{port}/nowhere") == 404
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(worker.communicate(), timeout=60)
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in err.decode(errors="replace").splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "workflows.cancellation" in imported  # the record is complete enough to trust
    assert "temporalio.worker" in imported
    assert not {m for m in imported if m.split(".")[0] in FORBIDDEN_PACKAGES}
    assert {m for m in imported if m.split(".")[0] == "portal"} <= ALLOWED_PORTAL_MODULES
