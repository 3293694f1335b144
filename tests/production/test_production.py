"""Issue 11's done-test: the production processes, started as an operator starts them, are
observable (metrics moved by a real case, readiness that follows PostgreSQL) and stop on
SIGTERM within their documented bounds, even while the SMTP relay hangs."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.eventually import eventually
from tests.helpers.end_to_end import CUSTOMER_EMAIL, MERCHANT, mails_to, request
from tests.helpers.servers import TEST_VAR, free_port
from workers.mail_sink import MailSink
from workers.worker import GRACEFUL_SHUTDOWN

from .stack import (
    Stack,
    StallableRelay,
    base_env,
    json_lines,
    metrics,
    postgres,
    readiness,
    run_cli,
    sample,
    stop_bound,
    stopped_at_end,
    temporal_server,
)

pytestmark = pytest.mark.timeout(600)

UNITS = {
    "worker": "cancelflow-worker.service",
    "portal": "cancelflow-portal.service",
    "mail-gateway": "cancelflow-mail-gateway.service",
    "codec": "cancelflow-codec.service",
}


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


async def test_production_processes_observable_and_stoppable(tmp_path: Path) -> None:
    # PostgreSQL runs as its own system user: its folder must be reachable for it.
    TEST_VAR.mkdir(parents=True, exist_ok=True)
    pg_folder = Path(tempfile.mkdtemp(prefix="prod-pg-", dir=TEST_VAR))
    sink = MailSink(tmp_path / "mail", port=free_port())
    with postgres(pg_folder) as pg, temporal_server(tmp_path) as temporal, sink:
        env, ports = base_env(tmp_path, temporal, pg.url)
        async with StallableRelay(sink.port) as relay:
            env |= {"CANCELFLOW_SMTP__HOST": "127.0.0.1", "CANCELFLOW_SMTP__PORT": str(relay.port)}
            key = await run_cli("codec", "new-key", "k1", env=env)
            assert key.code == 0, key.stderr
            env["CANCELFLOW_CODEC__KEYS"] = key.stdout.strip()
            stack = Stack(tmp_path, env, ports)
            async with stopped_at_end(stack):
                await _refuses_to_start_unprepared(stack)
                await _prepare(stack)
                for name, args in [
                    ("worker", ["worker"]),
                    ("portal", ["portal"]),
                    ("mail-gateway", ["mail-gateway"]),
                    ("codec", ["codec", "serve"]),
                ]:
                    stack.start(name, *args)
                for name in UNITS:
                    await eventually(
                        lambda n=name: readiness(stack.ops_url(n)),  # type: ignore[misc]
                        lambda status: status == 200,
                        what=f"{name} to be ready",
                        within=60,
                    )
                await _case_moves_the_metrics(stack, sink)
                await _readiness_follows_postgres(stack, pg)
                await _stops_within_bounds(stack, relay, sink)


async def _refuses_to_start_unprepared(stack: Stack) -> None:
    """No schema, no search attributes: the worker exits 1 naming both commands."""
    result = await run_cli("worker", env=stack.env)
    assert result.code == 1, result.stderr
    assert "cancelflow temporal setup" in result.stderr, result.stderr
    assert "cancelflow db migrate" in result.stderr, result.stderr


async def _prepare(stack: Stack) -> None:
    migrated = await run_cli("db", "migrate", env=stack.env)
    assert migrated.code == 0, migrated.stderr
    assert "applied migrations 0001" in migrated.stdout
    again = await run_cli("db", "migrate", env=stack.env)
    assert again.code == 0 and "nothing to apply" in again.stdout, again.stdout + again.stderr
    setup = await run_cli("temporal", "setup", env=stack.env)
    assert setup.code == 0, setup.stderr
    merchant = write(stack.folder / "merchant.json", MERCHANT.model_dump(mode="json"))
    added = await run_cli("merchants", "add", merchant, env=stack.env)
    assert added.code == 0, added.stderr


async def _case_moves_the_metrics(stack: Stack, sink: MailSink) -> None:
    env = stack.env
    case = write(stack.folder / "case.json", request("prod-case-1").model_dump(mode="json"))
    started = await run_cli("cases", "start", case, env=env)
    assert started.code == 0, started.stderr
    await eventually(
        lambda: mails_to(sink, "cancel@nordicgym.example"), what="the merchant email", within=60
    )
    await eventually(
        lambda: run_cli("cases", "status", "prod-case-1", env=env),
        lambda status: status.code != 0 or "awaiting" in status.stdout,
        what="the case to record its email",
    )
    until = date.today() + timedelta(days=10)
    answered = await run_cli(
        "cases", "respond", "prod-case-1", "--outcome", "has_now_been_cancelled",
        "--access-until", until.isoformat(), "--by", "Kim at Nordic Gym", env=env,
    )  # fmt: skip
    assert answered.code == 0, answered.stderr
    await eventually(lambda: mails_to(sink, CUSTOMER_EMAIL), what="the customer email", within=60)

    worker = stack.ops_url("worker")
    text = str(
        await eventually(
            lambda: metrics(worker),
            lambda t: sample(str(t), "cancelflow_answers_total", channel="ops") == 1.0,
            what="the answer counted",
        )
    )
    assert sample(text, "cancelflow_cases_started_total") == 1.0
    assert (
        sample(text, "cancelflow_answers_total", channel="ops", outcome="has_now_been_cancelled")
        == 1.0
    )
    assert sample(text, "cancelflow_request_to_answer_seconds_count") == 1.0
    assert sample(text, "cancelflow_outbox_emails", state="pending") == 0.0
    assert sample(text, "cancelflow_outbox_emails", state="failing") == 0.0
    # The merchants' open lists follow the cases within the sync's tick (1 s by default).
    lag = sample(text, "cancelflow_case_list_lag_seconds")
    assert lag is not None and 0.0 <= lag < 30.0, lag
    # The SDK core's own metrics, through the same endpoint.
    assert "temporal_workflow_task_schedule_to_start_latency" in text or (
        "temporal_request" in text
    ), text[-2000:]

    portal = stack.ops_url("portal")
    openapi = await eventually(lambda: _get_status(f"{portal}/api/v1/openapi.json"))
    assert openapi == 200
    portal_text = await metrics(portal)
    assert (
        sample(
            portal_text,
            "cancelflow_http_requests_total",
            route="/api/v1/openapi.json",
            method="GET",
            status="200",
        )
        == 1.0
    )
    assert sample(await metrics(stack.ops_url("mail-gateway")), "cancelflow_inbound_mail") == 0.0

    # The worker's log is JSON lines only: the SDK core's lines included, no ANSI text.
    records = json_lines(stack.processes["worker"].lines())
    assert any(r.get("event") == "worker.started" for r in records)
    assert any(r.get("logger") == "temporalio.core" for r in records), "no SDK core line"


async def _get_status(url: str) -> int | None:
    from .stack import get

    response = await get(url)
    return None if response is None else response.status_code


async def _readiness_follows_postgres(stack: Stack, pg: object) -> None:
    from .stack import Postgres

    assert isinstance(pg, Postgres)
    checked = ["worker", "portal", "mail-gateway"]
    pg.stop()
    try:
        for name in checked:
            await eventually(
                lambda n=name: readiness(stack.ops_url(n)),  # type: ignore[misc]
                lambda status: status == 503,
                what=f"{name} not ready without PostgreSQL",
            )
        # Liveness is not readiness: the process itself still answers.
        assert await readiness(stack.ops_url("codec")) == 200
    finally:
        pg.start()
    for name in checked:
        await eventually(
            lambda n=name: readiness(stack.ops_url(n)),  # type: ignore[misc]
            lambda status: status == 200,
            what=f"{name} ready again with PostgreSQL back",
        )


async def _stops_within_bounds(stack: Stack, relay: StallableRelay, sink: MailSink) -> None:
    # A case whose request email hangs on a stalled relay while the worker is told to stop.
    relay.stalling = True
    case = write(stack.folder / "case2.json", request("prod-case-2").model_dump(mode="json"))
    started = await run_cli("cases", "start", case, env=stack.env)
    assert started.code == 0, started.stderr
    await eventually(lambda: relay.stalled_connections, what="the worker sending to the relay")

    for name, unit in UNITS.items():
        code, seconds = stack.processes[name].stop()
        bound = stop_bound(unit)
        assert code == 0, f"{name} exited {code}: {stack.processes[name].lines()[-5:]}"
        assert seconds < bound, f"{name} took {seconds:.1f} s to stop; its bound is {bound} s"
        if name == "worker":
            # The in-flight send is cut off after the graceful-shutdown time, not waited out.
            assert seconds < GRACEFUL_SHUTDOWN.total_seconds() + 10, seconds
