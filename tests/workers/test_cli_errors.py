"""Bad input and missing services: one clear `error:` line per problem, a non-zero exit code,
never a traceback. Nothing here needs a server."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.servers import free_port
from workers.cli import cli

CANCELFLOW = str(Path(sys.executable).parent / "cancelflow")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=OPERATOR_ENV, catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--outcome", "has_now_been_cancelled"],
            "--access-until: required for outcome has_now_been_cancelled",
        ),
        (
            ["--outcome", "was_already_cancelled"],
            "--cancelled-on: required for outcome was_already_cancelled",
        ),
        (
            ["--outcome", "binding_contract", "--contract-ends-on", "2030-01-01", "--message", "x"],
            "--message: does not belong to outcome binding_contract",
        ),
        (
            ["--outcome", "has_now_been_cancelled", "--access-until", "2026-02-30"],
            "--access-until: ",
        ),
        (
            ["--outcome", "other_reason", "--message", "   "],
            "--message: a message explaining the other reason is required",
        ),
        (
            ["--outcome", "binding_contract", "--contract-ends-on", "2001-01-01"],
            "cannot be before the date of the answer",
        ),
        (
            ["--outcome", "was_already_cancelled", "--cancelled-on", "2999-01-01"],
            "cannot be after the date of the answer",
        ),
    ],
)
def test_respond_names_the_option_and_the_rule(args: list[str], expected: str) -> None:
    code, stderr = invoke("cases", "respond", "case-1", *args)
    assert code == 1
    assert expected in stderr
    assert all(line.startswith("error:") for line in stderr.splitlines())


def test_respond_rejects_an_unknown_outcome_as_usage() -> None:
    result = CliRunner().invoke(
        cli, ["cases", "respond", "c-1", "--outcome", "maybe"], env=OPERATOR_ENV
    )
    assert result.exit_code == 2
    assert "has_now_been_cancelled" in result.stderr


def test_start_reports_unreadable_files(tmp_path: Path) -> None:
    code, stderr = invoke("cases", "start", str(tmp_path / "missing.json"))
    assert (code, stderr.strip()) == (1, f"error: {tmp_path / 'missing.json'}: no such file")

    broken = tmp_path / "broken.json"
    broken.write_text('{"case_id": "x",\n  oops}')
    code, stderr = invoke("cases", "start", str(broken))
    assert code == 1
    assert "not valid JSON" in stderr and "line 2" in stderr


def test_start_lists_every_invalid_field(tmp_path: Path) -> None:
    request = tmp_path / "r.json"
    request.write_text(json.dumps({
        "case_id": "ok-case-1", "merchant_id": "demo", "subscription": {"name": "Gold"},
        "customer": {"email": "not-an-email", "card_last4": "42"}, "locale": "de",
    }))  # fmt: skip
    code, stderr = invoke("cases", "start", str(request))
    assert code == 1
    assert "3 problems" in stderr
    assert "customer.email:" in stderr
    assert "customer.card_last4: must be exactly four digits" in stderr
    assert "locale:" in stderr


def test_start_refuses_a_control_character_naming_the_field(tmp_path: Path) -> None:
    request = tmp_path / "r.json"
    request.write_text(json.dumps({
        "case_id": "ok-case-2", "merchant_id": "demo",
        "subscription": {"name": "Gold\u0000\r\nPlan"},
        "customer": {"email": "a@example.com"}, "locale": "en",
    }))  # fmt: skip
    code, stderr = invoke("cases", "start", str(request))
    assert code == 1
    assert "subscription.name: must not contain control characters" in stderr
    assert "U+0000" in stderr


async def run(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        CANCELFLOW, *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, err.decode()


def isolated_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CANCELFLOW_", "TEMPORAL_")) and k != "DATABASE_URL"
    }
    return (
        env
        | OPERATOR_ENV
        | {
            "CANCELFLOW_VAR_DIR": str(tmp_path / "var"),
            "CANCELFLOW_TEMPORAL__DEV_PORT": str(free_port()),
            "TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"),
        }
    )


async def test_unreachable_temporal_is_one_line_and_a_clean_exit(tmp_path: Path) -> None:
    # A real process: the Temporal client's native objects must not crash the interpreter's
    # exit (that showed as 'Fatal Python error' and exit code 134).
    code, stderr = await run("cases", "status", "some-case", env=isolated_env(tmp_path))
    assert code == 1
    assert stderr.startswith("error: cannot connect to Temporal at localhost:")
    assert len(stderr.strip().splitlines()) == 1
    assert "Fatal" not in stderr


async def test_worker_without_a_database_says_what_to_set(tmp_path: Path) -> None:
    code, stderr = await run("worker", env=isolated_env(tmp_path))
    assert code == 1
    assert "no database: DATABASE_URL is not set" in stderr
    assert "Traceback" not in stderr


async def test_dev_refuses_a_busy_port_and_names_the_setting(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env["CANCELFLOW_TEMPORAL__DEV_UI_PORT"] = str(busy.getsockname()[1])
        code, stderr = await run("dev", env=env)
    assert code == 1
    assert f"{env['CANCELFLOW_TEMPORAL__DEV_UI_PORT']} (CANCELFLOW_TEMPORAL__DEV_UI_PORT)" in stderr
    assert "Traceback" not in stderr
