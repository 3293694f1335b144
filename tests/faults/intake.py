"""Intakes through the portal's HTTP API during an outage, as a careful caller sends them.

While Temporal or PostgreSQL is down the portal must answer 503 with Retry-After: the request
was fine and will work later. The caller here does what that answer asks (waits the
Retry-After seconds and sends the same request again), so a 503 with Retry-After costs time,
not a case. Any other 5xx, a 503 without Retry-After or a dropped connection is counted apart:
that is a defect, not the right answer."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import httpx

from tests.faults.stack import Stack
from tests.helpers.harness import make_request

RETRY_AFTER_CAP_S = 5.0
"""The caller waits at most this long between tries, to keep the suite's duration bounded."""


def internal_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['CANCELFLOW_PORTAL__INTERNAL_API_KEY']}"}


@dataclass
class Intakes:
    accepted: set[str] = field(default_factory=set)
    """Case ids answered 201 or 200 (the same request again)."""
    retry_after_503: int = 0
    """503 answers with a Retry-After header: the right answer during an outage."""
    other_5xx: int = 0
    """5xx without Retry-After, other 5xx, or the connection dropped (counted as 599)."""
    refused: list[int] = field(default_factory=list)
    """4xx answers, which this load never deserves."""

    @property
    def all_5xx(self) -> int:
        return self.retry_after_503 + self.other_5xx

    def note(self, during: str) -> str:
        parts = []
        if self.retry_after_503:
            parts.append(f"503 with Retry-After x{self.retry_after_503} {during}, the right answer")
        if self.other_5xx:
            parts.append(f"UNEXPECTED: other 5xx or dropped connections x{self.other_5xx}")
        if self.refused:
            parts.append(f"UNEXPECTED: refused {sorted(set(self.refused))}")
        return "; ".join(parts)


async def intake_until_accepted(stack: Stack, ids: list[str], within: float) -> Intakes:
    """POST every case until it is accepted or `within` seconds have passed."""
    counts = Intakes()
    deadline = time.monotonic() + within
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(
        base_url=stack.portal_url, headers=internal_headers(), timeout=30, limits=limits
    ) as http:

        async def intake(case_id: str) -> None:
            body = make_request(case_id).model_dump(mode="json")
            while time.monotonic() < deadline:
                wait = 1.0
                try:
                    response = await http.post("/api/v1/cases", json=body)
                except httpx.HTTPError:
                    counts.other_5xx += 1
                else:
                    if response.status_code in (200, 201):
                        counts.accepted.add(case_id)
                        return
                    retry_after = response.headers.get("Retry-After", "")
                    if response.status_code == 503 and retry_after.isdigit():
                        counts.retry_after_503 += 1
                        wait = min(float(retry_after), RETRY_AFTER_CAP_S)
                    elif response.status_code >= 500:
                        counts.other_5xx += 1
                    else:
                        counts.refused.append(response.status_code)
                        return
                await asyncio.sleep(wait)

        await asyncio.gather(*(intake(i) for i in ids))
    return counts
