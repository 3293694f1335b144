"""`cancelflow merchants key create/list/revoke` against the real database and API."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner, Result

from tests.helpers.operator_env import OPERATOR_ENV
from tests.helpers.portal import PortalStack
from workers.cli import cli


async def _cancelflow(stack: PortalStack, *args: str) -> Result:
    runner = CliRunner()
    # The command runs its own event loop; give it a thread of its own.
    return await asyncio.to_thread(
        runner.invoke,
        cli,
        list(args),
        env={"DATABASE_URL": stack.database_url, **OPERATOR_ENV},
        catch_exceptions=False,
    )


async def test_create_use_list_and_revoke_a_key(stack: PortalStack) -> None:
    merchant = await stack.add_merchant()
    case_id = await stack.start(merchant)

    created = await _cancelflow(
        stack, "merchants", "key", "create", merchant.merchant_id, "--label", "crm"
    )
    assert created.exit_code == 0, created.output
    key = re.search(r"cfk_[a-f0-9]{12}_[A-Za-z0-9_-]{43}", created.output)
    assert key is not None
    assert "cannot be shown again" in created.output
    headers = {"Authorization": f"Bearer {key.group(0)}"}
    read = await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=headers)
    assert read.status_code == 200

    listed = await _cancelflow(stack, "merchants", "key", "list", merchant.merchant_id)
    assert listed.exit_code == 0
    key_id = key.group(0)[4:16]
    assert key_id in listed.output and "crm" in listed.output and "active" in listed.output
    assert key.group(0)[17:] not in listed.output

    revoked = await _cancelflow(stack, "merchants", "key", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    after = await stack.http.get(f"/api/v1/merchant/cases/{case_id}", headers=headers)
    assert after.status_code == 401
    assert "revoked" in (await _cancelflow(stack, "merchants", "key", "list")).output


async def test_keys_for_unknown_merchants_and_unknown_key_ids_are_refused(
    stack: PortalStack,
) -> None:
    unknown = await _cancelflow(stack, "merchants", "key", "create", "nobody-here")
    assert unknown.exit_code == 1
    assert "'nobody-here' is not in the merchant directory" in unknown.output
    missing = await _cancelflow(stack, "merchants", "key", "revoke", "000000000000")
    assert missing.exit_code == 1
    assert "there is no API key '000000000000'" in missing.output
