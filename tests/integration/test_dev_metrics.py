"""`cancelflow dev` serves the worker's business and SDK metrics on a printed port, as the
production worker does on its ops port (#16.10)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.eventually import eventually
from tests.helpers.cli import clean_environ, run_cli
from tests.helpers.dev_stack import dev_stack
from tests.helpers.servers import free_port


async def test_the_dev_stack_prints_and_serves_the_worker_metrics(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    worker_port = free_port()
    env = clean_environ() | {
        "CANCELFLOW_VAR_DIR": str(var_dir),
        "CANCELFLOW_TEMPORAL__DEV_PORT": str(free_port()),
        "CANCELFLOW_TEMPORAL__DEV_UI_PORT": str(free_port()),
        "CANCELFLOW_SMTP__PORT": str(free_port()),
        "CANCELFLOW_PORTAL__PORT": str(free_port()),
        "CANCELFLOW_MAIL_GATEWAY__PORT": str(free_port()),
        "CANCELFLOW_CODEC__PORT": str(free_port()),
        "CANCELFLOW_DEV_MAIL_PORT": str(free_port()),
        "CANCELFLOW_OPS__WORKER_PORT": str(worker_port),
        "CANCELFLOW_OPS__SDK_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    async with dev_stack(env, tmp_path / "dev.log") as block:
        line = re.search(r"Worker metrics\s+(\S+)", block)
        assert line is not None, block
        assert line.group(1) == f"http://127.0.0.1:{worker_port}/metrics"
        started = await run_cli("cases", "start", str(var_dir / "demo-request.json"), env=env)
        assert started.code == 0, started.stderr

        async def metrics() -> str:
            async with httpx.AsyncClient() as client:
                return (await client.get(line.group(1))).text

        text = await eventually(
            metrics,
            lambda t: re.search(r"^cancelflow_cases_started_total 1\.0$", t, re.M),
            within=30,
            what="the started case counted in the dev worker's business metrics",
        )
        # The SDK core's metrics come through the same endpoint, as in production.
        assert re.search(r"^temporal_\w+", text, re.M), text[:2000]
        assert "cancelflow_outbox_emails" in text
