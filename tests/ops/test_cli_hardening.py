"""The CLI under careless use (issue 9 #12): dates, pipes, bad Temporal settings, no worker,
`--version`, and refusals as JSON when JSON was asked for."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner, Result
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cases.client import case_handle, case_state, start_case, submit_answer
from domain.actions import EmailReplyNotice
from domain.answers import HasNowBeenCancelled
from domain.case import CaseStatus
from domain.common import Channel
from inbound.store import InboundMailStore
from tests.eventually import eventually
from tests.helpers.cli import cancelflow
from tests.helpers.harness import RecordingActivities, make_merchant, make_request, running_worker
from tests.helpers.operator_env import OPERATOR_ENV
from workers.cli import cli
from workers.codec import format_keys, new_key

CANCELFLOW = str(Path(sys.executable).parent / "cancelflow")
# A codec key rather than the plain-payload opt-out, whose start-up warning is no part of
# what these tests read.
CLI_ENV = {
    **{k: v for k, v in OPERATOR_ENV.items() if k != "CANCELFLOW_CODEC__ALLOW_PLAINTEXT"},
    "CANCELFLOW_CODEC__KEYS": format_keys([new_key("cli-hardening")]),
}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={**CLI_ENV, **(env or {})}, catch_exceptions=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["cases", "snooze", "c-1", "--until", "2026/12/31", "--reason", "holiday"],
        [
            "cases",
            "respond",
            "c-1",
            "--outcome",
            "has_now_been_cancelled",
            "--access-until",
            "31.12.2026",
        ],
        [
            "cases",
            "respond",
            "c-1",
            "--outcome",
            "was_already_cancelled",
            "--cancelled-on",
            "20261231",
        ],
        [
            "cases",
            "respond",
            "c-1",
            "--outcome",
            "binding_contract",
            "--contract-ends-on",
            "2026-13-01",
        ],
    ],
)
def test_a_date_in_another_format_is_refused_in_the_api_s_words(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    option = next(a for a in args if a.startswith("--") and a != "--outcome" and a != "--reason")
    assert f"error: {option}: must be a date written YYYY-MM-DD" in result.stderr
    assert "invalid character" not in result.stderr


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.startswith("cancelflow, version ")


def test_a_refusal_under_json_is_json() -> None:
    result = invoke("cases", "respond", "c-1", "--outcome", "has_now_been_cancelled", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["exit_code"] == 1
    assert any("--access-until: required" in line for line in document["error"])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TEMPORAL_PROFILE": "no-such-profile"}, "Profile 'no-such-profile' not found"),
        (
            {"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/client.pem"},
            "cannot read /nonexistent/client.pem",
        ),
    ],
)
def test_a_bad_temporal_profile_or_certificate_path_is_named(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    result = invoke("cases", "status", "c-1", env={**env, "CANCELFLOW_VAR_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "error: Temporal client configuration" in result.stderr
    assert expected in result.stderr
    assert "unexpected" not in result.stderr


def _cli_process_env(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, queue: str
) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "CANCELFLOW_CODEC__ALLOW_PLAINTEXT"},
        **CLI_ENV,
        "TEMPORAL_ADDRESS": dev_server_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "default",
        "CANCELFLOW_VAR_DIR": str(tmp_path),
        "CANCELFLOW_TEMPORAL__TASK_QUEUE": queue,
    }


async def test_status_without_a_worker_fails_fast_and_a_closed_reader_is_no_traceback(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = dev_server_env.client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    open_case, closed_case = make_request(), make_request()
    async with running_worker(client, acts) as worked_queue:
        await start_case(client, closed_case, worked_queue)
        await eventually(
            lambda: case_state(client, closed_case.case_id),
            lambda s: s.status is CaseStatus.AWAITING,
        )
        await submit_answer(
            client,
            closed_case.case_id,
            HasNowBeenCancelled(
                access_until="2030-01-31",
                answered_at=datetime.now(UTC),
                channel=Channel.PORTAL,
                responded_by="Bo at Acme",
            ),
        )
        await eventually(
            lambda: case_state(client, closed_case.case_id),
            lambda s: s.status is CaseStatus.CLOSED,
        )
    # The configured task queue has no worker at all: the open case's query has nobody to ask.
    queue = f"unpolled-{uuid.uuid4().hex[:8]}"
    await start_case(client, open_case, queue)
    env = _cli_process_env(dev_server_env, tmp_path, queue)
    began = time.monotonic()
    status = await asyncio.to_thread(
        subprocess.run,
        [CANCELFLOW, "cases", "status", open_case.case_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - began
    assert status.returncode == 1, status.stderr
    assert "no worker is polling the task queue" in status.stderr

    # A closed case needs no worker.
    began = time.monotonic()
    closed = await asyncio.to_thread(
        subprocess.run,
        [CANCELFLOW, "cases", "status", closed_case.case_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    closed_took = time.monotonic() - began
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert json.loads(closed.stdout)["status"] == "closed"
    # Measured against the closed case's run (same start-up and connection, no query), so a
    # loaded machine's slow start does not count: the open case was not held for the
    # 10 s query timeout.
    assert took - closed_took < 8, f"took {took:.1f} s, a closed case {closed_took:.1f} s"

    # Its output into a reader that has gone: no traceback.
    def into_closed_pipe() -> subprocess.CompletedProcess[bytes]:
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            return subprocess.run(
                [CANCELFLOW, "cases", "status", closed_case.case_id, "--json"],
                env=env,
                stdout=write_end,
                stderr=subprocess.PIPE,
                timeout=60,
            )
        finally:
            os.close(write_end)

    piped = await asyncio.to_thread(into_closed_pipe)
    assert b"BrokenPipe" not in piped.stderr and b"Traceback" not in piped.stderr, piped.stderr
    assert piped.returncode == 1


@pytest.mark.usefixtures("cli_env")
async def test_show_marks_an_unverified_reply_and_escapes_outside_text(
    encrypted_client: Client, pool: asyncpg.Pool
) -> None:
    client = encrypted_client
    acts = RecordingActivities(merchants={"acme": make_merchant()})
    request = make_request()
    async with running_worker(client, acts) as task_queue:
        await start_case(client, request, task_queue)
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: s.status is CaseStatus.AWAITING
        )
        stored = await InboundMailStore(pool).store(
            request.case_id,
            "spoof@attacker.example",
            "ops@attacker.example",
            "Re: cancel\x1b[2J",
            b"From: ops@attacker.example\r\nSubject: x\r\n\r\nDone.\x1b]0;pwned\x07\r\n",
            datetime.now(UTC),
            sender_verified=False,
        )
        await case_handle(client, request.case_id).signal(
            "email_reply_received",
            EmailReplyNotice(
                message_id="spoof@attacker.example",
                sender="ops@attacker.example",
                subject="Re: cancel\x1b[2J",
                received_at=stored.reply.received_at,
                sender_verified=False,
            ),
        )
        await eventually(
            lambda: case_state(client, request.case_id), lambda s: bool(s.email_replies)
        )
        shown = await cancelflow("cases", "show", request.case_id)
        as_json = await cancelflow("cases", "show", request.case_id, "--json")
    assert shown.exit_code == 0, shown.output
    assert "From:     ops@attacker.example  (UNVERIFIED" in shown.output
    assert "Re: cancel\\x1b[2J" in shown.output and "\x1b" not in shown.output
    assert "status     awaiting" in shown.output
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["email_replies"][0]["sender_verified"] is False
