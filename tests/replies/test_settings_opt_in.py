"""A merchant turns on (and off) email replies that record themselves on its settings page."""

from __future__ import annotations

import uuid

import asyncpg
from click.testing import Result

from storage.merchant_changes import MerchantChanges
from storage.merchants import MerchantDirectory
from tests.helpers.settings_portal import csrf_of, signed_in_browser
from tests.integrations.portal_stack import SettingsStack


async def test_the_merchant_opts_in_on_its_settings_page_and_the_change_is_logged(
    stack: SettingsStack,
) -> None:
    merchant = await stack.add_merchant()
    assert not merchant.auto_record_replies
    address = str(merchant.cancellation_emails[0])
    http = await signed_in_browser(stack, merchant.merchant_id, address)
    page = await http.get("/merchant/settings")
    assert 'data-testid="auto-record"' in page.text
    assert 'name="auto_record_replies" value="on" >' in page.text  # off by default

    forged = await http.post("/merchant/settings/replies", data={"auto_record_replies": "on"})
    assert forged.status_code == 403
    bad = await http.post(
        "/merchant/settings/replies",
        data={
            "csrf_token": csrf_of(page.text),
            "auto_record_replies": "on",
            "auto_record_threshold": "0.2",
        },
    )
    assert bad.status_code == 422 and "auto_record_threshold" in bad.text
    directory = MerchantDirectory(stack.pool)
    unchanged = await directory.get(merchant.merchant_id)
    assert unchanged is not None and not unchanged.auto_record_replies

    saved = await http.post(
        "/merchant/settings/replies",
        data={
            "csrf_token": csrf_of(page.text),
            "auto_record_replies": "on",
            "auto_record_threshold": "0,95",
        },
    )
    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    stored = await directory.get(merchant.merchant_id)
    assert stored is not None
    assert stored.auto_record_replies and stored.auto_record_threshold == 0.95
    [change] = await MerchantChanges(stack.pool).list(merchant.merchant_id)
    assert change.changed_by == address
    assert change.detail == {
        "auto_record_replies": {"from": False, "to": True},
        "auto_record_threshold": {"from": 0.9, "to": 0.95},
    }

    # The checkbox unticked (a browser then sends no value) turns it off again.
    off = await http.post(
        "/merchant/settings/replies",
        data={"csrf_token": csrf_of(saved.text), "auto_record_threshold": "0.95"},
    )
    assert off.status_code == 200
    again = await directory.get(merchant.merchant_id)
    assert again is not None and not again.auto_record_replies


async def test_ops_turn_it_on_and_off_with_cancelflow_merchants(
    pool: asyncpg.Pool, database_url: str
) -> None:
    import asyncio

    from click.testing import CliRunner

    from tests.helpers.harness import make_merchant
    from tests.helpers.operator_env import OPERATOR_ENV
    from workers.cli import cli

    async def cancelflow(*args: str) -> Result:
        return await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            list(args),
            env={"DATABASE_URL": database_url, **OPERATOR_ENV},
            catch_exceptions=False,
        )

    merchant = make_merchant(merchant_id=f"cli-{uuid.uuid4().hex[:6]}")
    await MerchantDirectory(pool).upsert(merchant)
    shown = await cancelflow("merchants", "auto-record", merchant.merchant_id)
    assert shown.exit_code == 0, shown.output
    assert "record themselves: off (threshold 0.9)" in shown.output
    on = await cancelflow(
        "merchants",
        "auto-record",
        merchant.merchant_id,
        "--on",
        "--threshold",
        "0.97",
        "--by",
        "karin",
    )
    assert on.exit_code == 0, on.output
    assert "record themselves: on (threshold 0.97)" in on.output
    stored = await MerchantDirectory(pool).get(merchant.merchant_id)
    assert stored is not None and stored.auto_record_replies
    [change] = await MerchantChanges(pool).list(merchant.merchant_id)
    assert change.changed_by == "ops:karin"
    bad = await cancelflow("merchants", "auto-record", merchant.merchant_id, "--threshold", "1.5")
    assert bad.exit_code == 1 and "auto_record_threshold" in bad.output
    unknown = await cancelflow("merchants", "auto-record", "nobody-here", "--on")
    assert unknown.exit_code == 1 and "no merchant 'nobody-here'" in unknown.output
    off = await cancelflow("merchants", "auto-record", merchant.merchant_id, "--off")
    assert "record themselves: off (threshold 0.97)" in off.output
