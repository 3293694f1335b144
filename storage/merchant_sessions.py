"""Sign-in links and portal sessions for merchants' self-service settings.

A link token and a session token are 256 random bits; only their SHA-256 is stored, so a
database dump signs nobody in. A link works once, before it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import asyncpg


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", errors="replace")).digest()


@dataclass(frozen=True)
class SignedIn:
    merchant_id: str
    email: str


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class SignInRefused(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        self.problem = problem
        super().__init__(f"sign-in link {problem.value}")


def _refuse_unusable(row: asyncpg.Record | None) -> None:
    if row is None:
        raise SignInRefused(LinkProblem.UNKNOWN)
    if row["used_at"] is not None:
        raise SignInRefused(LinkProblem.USED)
    if row["expired"]:
        raise SignInRefused(LinkProblem.EXPIRED)


@dataclass(frozen=True)
class SignInLimits:
    """How many sign-in links may be emailed in a window: per contact address, and per
    merchant across all its addresses (so its inboxes cannot be flooded by strangers)."""

    per_address: int = 5
    per_merchant: int = 10
    window: timedelta = timedelta(hours=1)


class MerchantSessions:
    def __init__(
        self,
        pool: asyncpg.Pool,
        link_valid_for: timedelta = timedelta(minutes=15),
        session_valid_for: timedelta = timedelta(hours=8),
    ) -> None:
        self._pool = pool
        self._link_valid_for = link_valid_for
        self._session_valid_for = session_valid_for

    async def issue_link(self, merchant_id: str, email: str) -> str:
        """A new one-use sign-in token for one of the merchant's contact addresses."""
        token = secrets.token_urlsafe(32)
        await self._pool.execute(
            """
            INSERT INTO merchant_sign_in_links (token_hash, merchant_id, email, expires_at)
            VALUES ($1, $2, $3, now() + $4::interval)
            """,
            _hash(token),
            merchant_id,
            email,
            self._link_valid_for,
        )
        return token

    async def issue_link_within(
        self, limits: SignInLimits, merchant_id: str, email: str
    ) -> str | None:
        """A new sign-in token, or None when the address or the merchant had its share of
        links in the window. Counted in PostgreSQL under a per-merchant lock, so several
        portal processes together issue no more than the limits allow."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                f"merchant-sign-in:{merchant_id}",
            )
            row = await conn.fetchrow(
                """
                SELECT count(*) AS for_merchant, count(*) FILTER (WHERE email = $2) AS for_address
                FROM merchant_sign_in_links
                WHERE merchant_id = $1 AND created_at > clock_timestamp() - $3::interval
                """,
                merchant_id,
                email,
                limits.window,
            )
            assert row is not None
            if (
                row["for_address"] >= limits.per_address
                or row["for_merchant"] >= limits.per_merchant
            ):
                return None
            token = secrets.token_urlsafe(32)
            await conn.execute(
                """
                INSERT INTO merchant_sign_in_links
                    (token_hash, merchant_id, email, created_at, expires_at)
                VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + $4::interval)
                """,
                _hash(token),
                merchant_id,
                email,
                self._link_valid_for,
            )
        return token

    async def check_link(self, token: str) -> SignedIn:
        """Who the link signs in, without using it up (a mail scanner's GET must not)."""
        row = await self._pool.fetchrow(
            """
            SELECT merchant_id, email, expires_at <= now() AS expired, used_at
            FROM merchant_sign_in_links WHERE token_hash = $1
            """,
            _hash(token),
        )
        _refuse_unusable(row)
        assert row is not None
        return SignedIn(merchant_id=row["merchant_id"], email=row["email"])

    async def redeem_link(self, token: str) -> tuple[str, SignedIn]:
        """Uses the link up and opens a session: (session token, who). One use only: two
        browsers racing on one link get one session between them."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """
                SELECT merchant_id, email, expires_at <= now() AS expired, used_at
                FROM merchant_sign_in_links WHERE token_hash = $1 FOR UPDATE
                """,
                _hash(token),
            )
            _refuse_unusable(row)
            assert row is not None
            await conn.execute(
                "UPDATE merchant_sign_in_links SET used_at = now() WHERE token_hash = $1",
                _hash(token),
            )
            session = secrets.token_urlsafe(32)
            await conn.execute(
                """
                INSERT INTO merchant_portal_sessions (session_hash, merchant_id, email, expires_at)
                VALUES ($1, $2, $3, now() + $4::interval)
                """,
                _hash(session),
                row["merchant_id"],
                row["email"],
                self._session_valid_for,
            )
        return session, SignedIn(merchant_id=row["merchant_id"], email=row["email"])

    async def session(self, token: str) -> SignedIn | None:
        row = await self._pool.fetchrow(
            """
            SELECT merchant_id, email FROM merchant_portal_sessions
            WHERE session_hash = $1 AND ended_at IS NULL AND expires_at > now()
            """,
            _hash(token),
        )
        return None if row is None else SignedIn(row["merchant_id"], row["email"])

    async def end(self, token: str) -> None:
        await self._pool.execute(
            "UPDATE merchant_portal_sessions SET ended_at = now() WHERE session_hash = $1",
            _hash(token),
        )

    async def expire_link_now(self, token: str) -> None:
        """For tests and ops: make a link expired without waiting for it."""
        await self._pool.execute(
            "UPDATE merchant_sign_in_links SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = $1",
            _hash(token),
        )
