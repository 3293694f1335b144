"""The merchant directory in PostgreSQL and the load_merchant activity."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import contracts
from activities.merchants import MerchantActivities
from domain.merchant import ResponsePolicy
from storage.merchants import MerchantDirectory, StoredMerchantInvalid
from tests.helpers.emails import merchant


async def test_a_merchant_round_trips_with_every_field(pool: asyncpg.Pool) -> None:
    directory = MerchantDirectory(pool)
    stored = merchant(
        locale="sv",
        required=["email", "postal_address", "customer_number"],
        emails=["a@streamio.example", "b@streamio.example"],
    ).model_copy(
        update={
            "response_policy": ResponsePolicy(
                first_reminder_after=2, second_reminder_after=4, escalate_after=7
            )
        }
    )
    await directory.upsert(stored)

    assert await directory.get("streamio") == stored
    assert await directory.list() == [stored]


async def test_upsert_replaces_the_merchant(pool: asyncpg.Pool) -> None:
    directory = MerchantDirectory(pool)
    await directory.upsert(merchant())
    renamed = merchant().model_copy(update={"display_name": "Streamio Nordic AB"})
    await directory.upsert(renamed)

    assert await directory.get("streamio") == renamed
    row = await pool.fetchrow(
        "SELECT display_name, created_at, updated_at FROM merchants WHERE merchant_id = $1",
        "streamio",
    )
    assert row["display_name"] == "Streamio Nordic AB"
    assert row["updated_at"] >= row["created_at"]


async def test_list_is_ordered_by_id_and_get_of_unknown_is_none(pool: asyncpg.Pool) -> None:
    directory = MerchantDirectory(pool)
    for merchant_id in ["zeta", "alpha", "mid"]:
        await directory.upsert(merchant(merchant_id=merchant_id))

    assert [m.merchant_id for m in await directory.list()] == ["alpha", "mid", "zeta"]
    assert await directory.get("nobody") is None


async def test_a_stored_merchant_that_no_longer_validates_is_reported_by_name(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute(
        "INSERT INTO merchants (merchant_id, merchant, display_name) VALUES ($1, $2::jsonb, $3)",
        "broken",
        '{"merchant_id": "broken", "display_name": "Broken", "cancellation_emails": []}',
        "Broken",
    )
    with pytest.raises(StoredMerchantInvalid, match=r"'broken'.*cancellation_emails"):
        await MerchantDirectory(pool).get("broken")


async def test_load_merchant_returns_the_stored_merchant(pool: asyncpg.Pool) -> None:
    directory = MerchantDirectory(pool)
    await directory.upsert(merchant())
    activities = MerchantActivities(directory)

    loaded = await ActivityEnvironment().run(
        activities.load_merchant, contracts.LoadMerchantInput(merchant_id="streamio")
    )
    assert loaded == merchant()


async def test_load_merchant_of_an_unknown_merchant_is_a_final_error(pool: asyncpg.Pool) -> None:
    activities = MerchantActivities(MerchantDirectory(pool))

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            activities.load_merchant, contracts.LoadMerchantInput(merchant_id="ghost")
        )
    assert raised.value.type == contracts.UNKNOWN_MERCHANT
    assert raised.value.non_retryable
    assert "'ghost'" in raised.value.message


def test_load_merchant_is_registered_under_the_contract_name() -> None:
    from temporalio.activity import _Definition

    definition = _Definition.must_from_callable(MerchantActivities.load_merchant)
    assert definition.name == contracts.LOAD_MERCHANT
