"""The merchant's view of a case lists the identifiers the case was sent, from the merchant
as the case loaded it, not from today's settings (#16.9)."""

from __future__ import annotations

from domain.merchant import Merchant
from storage.merchants import MerchantDirectory
from tests.helpers.portal import PortalStack

STREET = "Hemligvägen 7"
SENT = ["email", "first_name", "last_name", "customer_number"]


async def test_an_old_case_shows_what_it_was_sent_after_the_merchant_adds_an_identifier(
    stack: PortalStack,
) -> None:
    merchant = await stack.add_merchant()
    key = await stack.api_key(merchant.merchant_id)
    old_case = await stack.start(merchant)
    link = await stack.reply_link_from_email(merchant)
    [email] = stack.emails_to(str(merchant.cancellation_emails[0]), old_case)
    assert STREET not in email.as_string()

    # What the self-service settings page does: the directory entry gains postal_address.
    changed = Merchant.model_validate(
        merchant.model_dump() | {"required_identifiers": [*SENT, "postal_address"]}
    )
    await MerchantDirectory(stack.pool).upsert(changed)

    response = await stack.http.get(f"/api/v1/merchant/cases/{old_case}", headers=key)
    assert response.status_code == 200, response.text
    assert [line["name"] for line in response.json()["customer"]] == SENT
    assert STREET not in response.text

    page = await stack.http.get(link)
    assert page.status_code == 200
    assert "Lindqvist" in page.text and STREET not in page.text

    # A case started after the change is sent, and shows, the new identifier.
    new_case = await stack.start(changed)
    fresh = await stack.http.get(f"/api/v1/merchant/cases/{new_case}", headers=key)
    assert [line["name"] for line in fresh.json()["customer"]] == [*SENT, "postal_address"]
    assert STREET in fresh.text
