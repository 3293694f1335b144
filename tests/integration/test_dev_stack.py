"""`cancelflow dev` as a person runs it: up, a case through the CLI, Ctrl-C, nothing left over,
and the open case still there after a restart."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import psutil

from tests.eventually import eventually
from tests.helpers.cli import clean_environ, run_cli
from tests.helpers.dev_stack import READY_LINE, dev_stack, tail  # noqa: F401
from tests.helpers.servers import free_port


def processes_using(folder: Path) -> list[psutil.Process]:
    """Processes whose command line mentions the folder (the dev server, PostgreSQL)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(folder) in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its new parent to reap it."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


async def test_dev_stack_runs_a_case_stops_cleanly_and_keeps_it_across_restarts(
    tmp_path: Path,
) -> None:
    var_dir = tmp_path / "var"
    mail_dir = var_dir / "mail"
    log = tmp_path / "dev.log"

    def stack_env() -> dict[str, str]:
        # Fresh ports for each start: a port freed by the first stack may be taken meanwhile
        # by any other process's outgoing connection. Only the var folder must stay.
        return clean_environ() | {
            "CANCELFLOW_VAR_DIR": str(var_dir),
            "CANCELFLOW_TEMPORAL__DEV_PORT": str(free_port()),
            "CANCELFLOW_TEMPORAL__DEV_UI_PORT": str(free_port()),
            "CANCELFLOW_SMTP__PORT": str(free_port()),
            "CANCELFLOW_PORTAL__PORT": str(free_port()),
            "CANCELFLOW_CONSOLE__PORT": str(free_port()),
            "CANCELFLOW_MAIL_GATEWAY__PORT": str(free_port()),
            "CANCELFLOW_CODEC__PORT": str(free_port()),
            "CANCELFLOW_DEV_MAIL_PORT": str(free_port()),
            "CANCELFLOW_OPS__WORKER_PORT": str(free_port()),
            "CANCELFLOW_OPS__SDK_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
            "CANCELFLOW_TEMPORAL__TASK_QUEUE": "dev-smoke",
        }

    env = stack_env()
    async with dev_stack(env, log) as block:
        assert f"http://127.0.0.1:{env['CANCELFLOW_TEMPORAL__DEV_UI_PORT']}" in block
        assert f"127.0.0.1:{env['CANCELFLOW_TEMPORAL__DEV_PORT']}" in block
        assert f"127.0.0.1:{env['CANCELFLOW_SMTP__PORT']}" in block
        assert "postgresql://" in block
        assert str(mail_dir.resolve()) in block
        assert f"http://127.0.0.1:{env['CANCELFLOW_DEV_MAIL_PORT']}" in block  # the mail page
        assert f"Ops console          http://127.0.0.1:{env['CANCELFLOW_CONSOLE__PORT']}" in block

        # The printed example works as printed.
        request_file = var_dir / "demo-request.json"
        case_id = json.loads(request_file.read_text())["case_id"]
        assert f"cancelflow cases start {request_file}" in block
        started = await run_cli("cases", "start", str(request_file), env=env)
        assert started.code == 0, started.stderr
        assert f"case {case_id}: started" in started.stdout
        await eventually(
            lambda: list(mail_dir.glob("*.eml")),
            within=30,
            what="the merchant email in the mail folder",
        )
        [eml] = list(mail_dir.glob("*.eml"))
        assert "Streamflix" in eml.read_text(errors="replace")
        assert len(processes_using(var_dir)) >= 2, "expected the dev server and PostgreSQL"

    await eventually(
        lambda: not processes_using(var_dir),
        within=30,
        what="the dev server and PostgreSQL to exit after Ctrl-C",
    )
    # The dev server's database answers reads beside writes (FILE_DATABASE_FLAGS).
    with contextlib.closing(sqlite3.connect(var_dir / "temporal.db")) as temporal_db:
        assert temporal_db.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    env = stack_env()
    async with dev_stack(env, log):
        status = await run_cli("cases", "status", case_id, env=env)
        assert status.code == 0, status.stderr
        assert "awaiting" in status.stdout
        answered = await run_cli(
            "cases", "respond", case_id, "--outcome", "has_now_been_cancelled",
            "--access-until", (date.today() + timedelta(days=30)).isoformat(), env=env,
        )  # fmt: skip
        assert answered.code == 0, answered.stderr
        await eventually(
            lambda: len(list(mail_dir.glob("*.eml"))) == 2,
            within=30,
            what="the customer email in the mail folder",
        )

    await eventually(
        lambda: not processes_using(var_dir),
        within=30,
        what="the dev server and PostgreSQL to exit after Ctrl-C",
    )


async def test_killed_dev_stack_leaves_no_postgres_or_dev_server(tmp_path: Path) -> None:
    """`kill -9` gives `cancelflow dev` no chance to stop anything: its watchdog must."""
    var_dir = tmp_path / "var"
    log = tmp_path / "dev.log"
    env = clean_environ() | {
        "CANCELFLOW_VAR_DIR": str(var_dir),
        "CANCELFLOW_TEMPORAL__DEV_PORT": str(free_port()),
        "CANCELFLOW_TEMPORAL__DEV_UI_PORT": str(free_port()),
        "CANCELFLOW_SMTP__PORT": str(free_port()),
        "CANCELFLOW_PORTAL__PORT": str(free_port()),
        "CANCELFLOW_CONSOLE__PORT": str(free_port()),
        "CANCELFLOW_MAIL_GATEWAY__PORT": str(free_port()),
        "CANCELFLOW_CODEC__PORT": str(free_port()),
        "CANCELFLOW_OPS__WORKER_PORT": str(free_port()),
        "CANCELFLOW_OPS__SDK_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    async with dev_stack(env, log, kill=True) as block:
        assert READY_LINE in block
        postmaster = int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        dev_server = [p for p in processes_using(var_dir) if "start-dev" in p.cmdline()]
        assert running(postmaster) and dev_server

    await eventually(
        lambda: not running(postmaster) and not processes_using(var_dir),
        within=30,
        what="PostgreSQL and the dev server to stop after `cancelflow dev` was killed",
    )
