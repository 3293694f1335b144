"""The case behind each reply+<token> address (table reply_addresses, migration 0003).

Written by the merchant email activity when it offers the address (Reply-To), read by the
mail gateway to find the case a reply is for.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from domain.reply_address import ReplyAddressSigner


@dataclass(frozen=True)
class ReplyTarget:
    case_id: str
    merchant_id: str
    known_contacts: tuple[str, ...] = ()
    """The merchant's cancellation emails, which a genuine reply comes from (or their domain)."""


@dataclass(frozen=True)
class ReplyRegistration:
    """A reply address and the row that lets the gateway find its case; the outbox writes the
    row in the statement that claims the email offering the address (storage/outbox.py)."""

    address: str
    case_key: str
    case_id: str
    merchant_id: str


class ReplyAddresses:
    """Which case a reply address belongs to."""

    def __init__(self, pool: asyncpg.Pool, signer: ReplyAddressSigner, reply_domain: str) -> None:
        self._pool = pool
        self._signer = signer
        self._domain = reply_domain

    def registration(self, case_id: str, merchant_id: str) -> ReplyRegistration:
        """The case's reply address with its row, not yet written (no I/O)."""
        return ReplyRegistration(
            address=self._signer.address(case_id, self._domain),
            case_key=self._signer.case_key(case_id),
            case_id=case_id,
            merchant_id=merchant_id,
        )

    async def address_for(self, case_id: str, merchant_id: str) -> str:
        """The case's reply address, registered so the gateway can find the case (idempotent)."""
        case_key = self._signer.case_key(case_id)
        await self._pool.execute(
            """
            INSERT INTO reply_addresses (case_key, case_id, merchant_id) VALUES ($1, $2, $3)
            ON CONFLICT (case_key) DO NOTHING
            """,
            case_key,
            case_id,
            merchant_id,
        )
        return self._signer.address(case_id, self._domain)

    async def target_for(self, case_key: str) -> ReplyTarget | None:
        row = await self._pool.fetchrow(
            """
            SELECT r.case_id, r.merchant_id,
                   coalesce(
                       ARRAY(SELECT jsonb_array_elements_text(m.merchant->'cancellation_emails')),
                       '{}'
                   ) AS contacts
            FROM reply_addresses r LEFT JOIN merchants m ON m.merchant_id = r.merchant_id
            WHERE r.case_key = $1
              -- An erased case takes no more replies: storing one would keep personal data.
              AND NOT EXISTS (SELECT 1 FROM case_erasures e WHERE e.case_id = r.case_id)
            """,
            case_key,
        )
        if row is None:
            return None
        return ReplyTarget(row["case_id"], row["merchant_id"], tuple(row["contacts"] or ()))
