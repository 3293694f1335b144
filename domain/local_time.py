"""An instant as ops read it: on the merchant's clock, to the minute, naming the zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_minute(at: datetime, timezone: str) -> str:
    """'2026-12-14 09:00 Europe/Stockholm': no seconds, no offset arithmetic left to the reader."""
    return f"{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} {timezone}"
