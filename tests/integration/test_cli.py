"""The `cancelflow` CLI as a person uses it, against the test's Temporal and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from temporalio.testing import WorkflowEnvironment

from tests.eventually import eventually
from tests.helpers.cli import Stack, run_cli
from tests.helpers.database import fresh_database
from tests.helpers.end_to_end import CUSTOMER_EMAIL, MERCHANT, in_process_worker, mails_to, request
from workers.mail_sink import MailSink


def write(path: Path, data: object) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


async def test_merchants_add_and_list(stack: Stack, tmp_path: Path) -> None:
    file = write(tmp_path / "m.json", MERCHANT.model_dump(mode="json"))
    added = await run_cli("merchants", "add", file, env=stack.env)
    assert added.code == 0, added.stderr
    assert "merchant nordic-gym: added" in added.stdout

    again = await run_cli("merchants", "add", file, env=stack.env)
    assert "merchant nordic-gym: updated" in again.stdout

    listed = await run_cli("merchants", "list", "--json", env=stack.env)
    assert [m["merchant_id"] for m in json.loads(listed.stdout)] == ["nordic-gym"]

    broken = MERCHANT.model_dump(mode="json") | {"cancellation_emails": ["not-an-address"]}
    bad = await run_cli("merchants", "add", write(tmp_path / "bad.json", broken), env=stack.env)
    assert bad.code == 1
    assert "cancellation_emails.0:" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_an_operators_cli_leaves_the_schema_to_db_migrate(
    stack: Stack, postgres_server_url: str, tmp_path: Path
) -> None:
    async with fresh_database(postgres_server_url, prefix="nomigrate") as empty_url:
        env = stack.env | {"DATABASE_URL": empty_url}
        file = write(tmp_path / "m.json", MERCHANT.model_dump(mode="json"))

        refused = await run_cli("merchants", "add", file, env=env)
        assert refused.code == 1
        assert "run `cancelflow db migrate`" in refused.stderr
        # Checked, not changed: an operator's login needs no DDL rights.
        connection = await asyncpg.connect(empty_url)
        try:
            tables = await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        finally:
            await connection.close()
        assert tables == []

        migrated = await run_cli("db", "migrate", env=env)
        assert migrated.code == 0, migrated.stderr
        added = await run_cli("merchants", "add", file, env=env)
        assert added.code == 0, added.stderr
        assert "merchant nordic-gym: added" in added.stdout


async def test_start_status_respond_through_the_cli(
    dev_server_env: WorkflowEnvironment, stack: Stack, mail_sink: MailSink, tmp_path: Path
) -> None:
    env = stack.env
    added = await run_cli(
        "merchants", "add", write(tmp_path / "m.json", MERCHANT.model_dump(mode="json")), env=env
    )
    assert added.code == 0, added.stderr
    case_file = write(tmp_path / "case.json", request("cli-case-1").model_dump(mode="json"))

    async with in_process_worker(dev_server_env.client, stack.settings):
        started = await run_cli("cases", "start", case_file, env=env)
        assert started.code == 0, started.stderr
        assert "case cli-case-1: started (workflow case-cli-case-1)" in started.stdout

        repeated = await run_cli("cases", "start", case_file, "--json", env=env)
        assert repeated.code == 0, repeated.stderr
        assert json.loads(repeated.stdout) == {
            "case_id": "cli-case-1",
            "workflow_id": "case-cli-case-1",
            "created": False,
            "same_request": True,
        }

        await eventually(
            lambda: mails_to(mail_sink, "cancel@nordicgym.example"), what="the merchant email"
        )
        # The mail is out a moment before the workflow records it: ask until it says so.
        status = await eventually(
            lambda: run_cli("cases", "status", "cli-case-1", env=env),
            lambda status: status.code != 0 or "awaiting" in status.stdout,
            what="the case to record its email",
        )
        assert status.code == 0, status.stderr

        missing_date = await run_cli(
            "cases", "respond", "cli-case-1", "--outcome", "has_now_been_cancelled", env=env
        )
        assert missing_date.code == 1
        assert "--access-until: required for outcome has_now_been_cancelled" in missing_date.stderr

        until = date.today() + timedelta(days=10)
        answered = await run_cli(
            "cases", "respond", "cli-case-1", "--outcome", "has_now_been_cancelled",
            "--access-until", until.isoformat(), "--by", "Kim at Nordic Gym", env=env,
        )  # fmt: skip
        assert answered.code == 0, answered.stderr
        assert "answer recorded: has_now_been_cancelled" in answered.stdout

        conflicting = await run_cli(
            "cases", "respond", "cli-case-1", "--outcome", "no_subscription_found", env=env
        )
        assert conflicting.code == 3
        assert "rejected the answer" in conflicting.stderr
        assert "already recorded" in conflicting.stderr

        await eventually(lambda: mails_to(mail_sink, CUSTOMER_EMAIL), what="the customer email")
        final = await eventually(
            lambda: run_cli("cases", "status", "cli-case-1", "--json", env=env),
            lambda final: json.loads(final.stdout)["status"] == "closed",
            what="the case to close",
        )
        state = json.loads(final.stdout)
        assert state["answer"]["responded_by"] == "Kim at Nordic Gym"
        assert state["answer"]["channel"] == "ops"
        assert state["customer_outcome"] == {
            "kind": "cancelled",
            "effective_date": until.isoformat(),
        }


async def test_start_rejects_bad_requests_before_any_case_exists(
    dev_server_env: WorkflowEnvironment, stack: Stack, tmp_path: Path
) -> None:
    env = stack.env
    await run_cli(
        "merchants", "add", write(tmp_path / "m.json", MERCHANT.model_dump(mode="json")), env=env
    )
    incomplete = request("cli-missing-1").model_dump(mode="json")
    incomplete["customer"]["card_last4"] = None
    incomplete["customer"]["extra"] = {}
    result = await run_cli("cases", "start", write(tmp_path / "a.json", incomplete), env=env)
    assert result.code == 1
    assert "requires identifiers that are missing: card_last4, customer_number" in result.stderr

    invalid = request("cli-invalid-1").model_dump(mode="json")
    invalid["customer"]["card_last4"] = "12a4"
    invalid["customer"]["email"] = "no-at-sign"
    result = await run_cli("cases", "start", write(tmp_path / "b.json", invalid), env=env)
    assert result.code == 1
    assert "customer.card_last4: must be exactly four digits" in result.stderr
    assert "customer.email:" in result.stderr

    unknown = request("cli-unknown-1").model_dump(mode="json") | {"merchant_id": "nobody"}
    result = await run_cli("cases", "start", write(tmp_path / "c.json", unknown), env=env)
    assert result.code == 1
    assert "no merchant 'nobody'" in result.stderr

    for case_id in ("cli-missing-1", "cli-invalid-1", "cli-unknown-1"):
        status = await run_cli("cases", "status", case_id, env=env)
        assert status.code == 1
        assert f"no case '{case_id}'" in status.stderr
        assert "Traceback" not in status.stderr
