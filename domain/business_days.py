"""Business-day arithmetic in a merchant's time zone and country (weekends and public holidays)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar.keys())


def is_business_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: datetime, days: int, tz: str, country: str) -> datetime:
    """The instant `days` business days after `start`, at the same local time of day.

    Counted in the merchant's time zone: a request on Friday 16:00 with days=1 is due on
    Monday 16:00 local time (Tuesday if Monday is a public holiday).
    """
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country):
            remaining -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)


def business_days_between(start: datetime, end: datetime, tz: str, country: str) -> int:
    """How many business days have passed from start to end (local dates, start excluded)."""
    zone = ZoneInfo(tz)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if is_business_day(day, country):
            count += 1
    return count


def local_morning(day: date, tz: str, at: time = time(9, 0)) -> datetime:
    """09:00 in the merchant's time zone on `day`: when date-based follow-ups fire."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))
