"""`cancelflow merchants add` records ops changes in the merchant's change log, as the
portal records a merchant's own: who (`ops:<user>` or --by) and when, what changed."""

from __future__ import annotations

import asyncio
import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from click.testing import CliRunner, Result

from storage.merchant_changes import MerchantChanges
from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.webhooks import webhook_merchant
from workers.cli import cli


async def merchants_add(database_url: str, file: Path, *extra: str) -> Result:
    env = {"DATABASE_URL": database_url, **OPERATOR_ENV}
    return await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["merchants", "add", str(file), *extra],
        env=env,
        catch_exceptions=False,
    )


async def test_merchants_add_records_who_when_and_what_changed(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    file = tmp_path / "hooked.json"
    file.write_text(webhook_merchant().model_dump_json())
    before = datetime.now(UTC)
    added = await merchants_add(database_url, file)
    assert added.exit_code == 0, added.output

    [first] = await MerchantChanges(pool).list("hooked")
    assert first.changed_by == f"ops:{getpass.getuser()}"
    assert first.what == "merchant.added"
    assert first.detail["notify_by"] == {"from": None, "to": "email_and_webhook"}
    assert before - timedelta(seconds=5) <= first.changed_at <= datetime.now(UTC)

    # The same file again changes nothing and adds nothing to the log.
    assert (await merchants_add(database_url, file, "--by", "maria")).exit_code == 0
    assert len(await MerchantChanges(pool).list("hooked")) == 1

    changed = json.loads(file.read_text()) | {"locale": "sv", "notify_by": "webhook"}
    file.write_text(json.dumps(changed))
    assert (await merchants_add(database_url, file, "--by", "maria")).exit_code == 0
    latest = (await MerchantChanges(pool).list("hooked"))[0]
    assert latest.changed_by == "ops:maria"
    assert latest.what == "settings.changed"
    assert latest.detail == {
        "locale": {"from": "en", "to": "sv"},
        "notify_by": {"from": "email_and_webhook", "to": "webhook"},
    }


async def test_a_by_name_with_markup_is_refused_naming_the_option(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    file = tmp_path / "hooked.json"
    file.write_text(webhook_merchant().model_dump_json())
    refused = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["merchants", "add", str(file), "--by", "<b>x</b>"],
        env={"DATABASE_URL": database_url, **OPERATOR_ENV},
    )
    assert refused.exit_code != 0
    assert "--by:" in refused.output
    assert await MerchantChanges(pool).list("hooked") == []
