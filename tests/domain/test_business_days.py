"""Business days in the merchant's zone and country, and when each chase step falls due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.business_days import (
    add_business_days,
    business_days_between,
    is_business_day,
    local_morning,
)
from domain.escalation import StepKind, next_chase_step
from domain.merchant import Merchant, ResponsePolicy

STOCKHOLM = ZoneInfo("Europe/Stockholm")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def in_stockholm(start: datetime, days: int) -> datetime:
    return add_business_days(start, days, "Europe/Stockholm", "SE")


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Friday afternoon + 1: Monday, same time.
        (at(STOCKHOLM, 2026, 3, 6, 16, 0), 1, at(STOCKHOLM, 2026, 3, 9, 16, 0)),
        # Monday + 5 is next Monday.
        (at(STOCKHOLM, 2026, 3, 2, 9, 30), 5, at(STOCKHOLM, 2026, 3, 9, 9, 30)),
        # A request made on a Saturday counts from the weekend: Monday is the first day.
        (at(STOCKHOLM, 2026, 3, 7, 12, 0), 1, at(STOCKHOLM, 2026, 3, 9, 12, 0)),
        # Christmas Eve (Thursday) + 1 skips Christmas Day (Friday) and the weekend.
        (at(STOCKHOLM, 2026, 12, 24, 10, 0), 1, at(STOCKHOLM, 2026, 12, 28, 10, 0)),
        # Maundy Thursday + 1 skips Good Friday, the weekend and Easter Monday.
        (at(STOCKHOLM, 2026, 4, 2, 11, 0), 1, at(STOCKHOLM, 2026, 4, 7, 11, 0)),
        # Wednesday before Ascension Day (Thursday) + 1 is Friday.
        (at(STOCKHOLM, 2026, 5, 13, 8, 0), 1, at(STOCKHOLM, 2026, 5, 15, 8, 0)),
        # New Year's Day is a holiday in the new year: 30 Dec + 2 is 2 Jan.
        (at(STOCKHOLM, 2026, 12, 30, 14, 0), 2, at(STOCKHOLM, 2027, 1, 4, 14, 0)),
    ],
    ids=["weekend", "a week", "from saturday", "christmas", "easter", "ascension", "new year"],
)
def test_add_business_days_in_sweden(start: datetime, days: int, due: datetime) -> None:
    result = in_stockholm(start, days)

    assert result == due
    assert result.utcoffset() == due.utcoffset()


def test_zero_business_days_is_the_same_instant() -> None:
    start = at(STOCKHOLM, 2026, 3, 7, 12, 0)  # even on a Saturday

    assert in_stockholm(start, 0) == start


def test_the_result_is_in_the_merchants_zone_whatever_zone_the_start_is_in() -> None:
    start_utc = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # Friday 16:00 in Stockholm

    due = in_stockholm(start_utc, 1)

    assert due.tzinfo == STOCKHOLM
    assert (due.date(), due.hour, due.minute) == (date(2026, 3, 9), 16, 0)


def test_far_from_utc_the_merchants_local_day_decides() -> None:
    # Thursday 5 Feb 10:00 in Auckland is still Wednesday in UTC. Friday 6 Feb is Waitangi
    # Day, so one business day later is Monday 9 Feb, 10:00 Auckland time.
    start = datetime(2026, 2, 4, 21, 0, tzinfo=UTC)

    due = add_business_days(start, 1, "Pacific/Auckland", "NZ")

    assert due == at(AUCKLAND, 2026, 2, 9, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 2, 8, 21, 0, tzinfo=UTC)


def test_the_merchants_holidays_not_ours_are_skipped() -> None:
    # Waitangi Day is a working day in Sweden.
    start = at(AUCKLAND, 2026, 2, 5, 10, 0)

    assert add_business_days(start, 1, "Pacific/Auckland", "SE") == at(AUCKLAND, 2026, 2, 6, 10, 0)


def test_local_time_of_day_is_kept_across_the_spring_dst_change() -> None:
    # Clocks go forward on the last Sunday of March (29 March 2026) in Stockholm.
    friday = at(STOCKHOLM, 2026, 3, 27, 16, 0)

    monday = in_stockholm(friday, 1)

    assert (monday.date(), monday.hour, monday.minute) == (date(2026, 3, 30), 16, 0)
    assert friday.utcoffset() == timedelta(hours=1)
    assert monday.utcoffset() == timedelta(hours=2)
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(hours=71)


def test_local_time_of_day_is_kept_across_the_autumn_dst_change() -> None:
    # Clocks go back on the last Sunday of October (25 October 2026).
    friday = at(STOCKHOLM, 2026, 10, 23, 9, 0)

    monday = in_stockholm(friday, 1)

    assert (monday.date(), monday.hour) == (date(2026, 10, 26), 9)
    assert monday.utcoffset() == timedelta(hours=1)
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(hours=73)


def test_a_country_without_a_holiday_calendar_skips_only_weekends() -> None:
    assert add_business_days(at(STOCKHOLM, 2026, 12, 24, 10, 0), 1, "Europe/Stockholm", "XX") == (
        at(STOCKHOLM, 2026, 12, 25, 10, 0)
    )


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 6, 6), False),  # National Day (a Saturday in 2026)
        (date(2027, 6, 25), True),  # Midsummer Eve is not a public holiday in the calendar
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 1, 6), False),  # Epiphany
    ],
)
def test_is_business_day_in_sweden(day: date, business: bool) -> None:
    assert is_business_day(day, "SE") is business


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (at(STOCKHOLM, 2026, 3, 6, 16, 0), at(STOCKHOLM, 2026, 3, 6, 23, 0), 0),
        (at(STOCKHOLM, 2026, 3, 6, 16, 0), at(STOCKHOLM, 2026, 3, 9, 8, 0), 1),
        (at(STOCKHOLM, 2026, 3, 2, 9, 0), at(STOCKHOLM, 2026, 3, 16, 9, 0), 10),
        (at(STOCKHOLM, 2026, 12, 23, 9, 0), at(STOCKHOLM, 2026, 12, 28, 9, 0), 2),
        # An end before the start counts nothing rather than going negative.
        (at(STOCKHOLM, 2026, 3, 9, 9, 0), at(STOCKHOLM, 2026, 3, 2, 9, 0), 0),
    ],
    ids=["same day", "over a weekend", "two weeks", "over christmas", "backwards"],
)
def test_business_days_between(start: datetime, end: datetime, count: int) -> None:
    assert business_days_between(start, end, "Europe/Stockholm", "SE") == count


def test_business_days_between_counts_the_merchants_local_dates() -> None:
    # Thursday 09:00 to Friday 18:00 in Auckland, and Friday is Waitangi Day: no business day
    # has passed there, although the UTC dates (Wednesday to Friday) span a Thursday.
    start = datetime(2026, 2, 4, 20, 0, tzinfo=UTC)
    end = datetime(2026, 2, 6, 5, 0, tzinfo=UTC)

    assert business_days_between(start, end, "Pacific/Auckland", "NZ") == 0
    assert business_days_between(start, end, "UTC", "NZ") == 1


@pytest.mark.parametrize("days", [1, 3, 7, 10, 25])
def test_business_days_between_undoes_add_business_days(days: int) -> None:
    start = at(AUCKLAND, 2026, 12, 18, 15, 45)  # through Christmas and New Year in NZ

    due = add_business_days(start, days, "Pacific/Auckland", "NZ")

    assert business_days_between(start, due, "Pacific/Auckland", "NZ") == days


def test_local_morning_is_nine_oclock_merchant_time() -> None:
    morning = local_morning(date(2026, 7, 1), "Europe/Stockholm")

    assert morning.astimezone(UTC) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def merchant(zone: str = "Europe/Stockholm", country: str = "SE", **policy: int) -> Merchant:
    return Merchant(
        merchant_id="acme",
        display_name="Acme",
        cancellation_emails=["cancel@acme.example"],
        timezone=zone,
        country=country,
        response_policy=ResponsePolicy(**policy),
    )


def chase(
    acme: Merchant, start: datetime, steps: int
) -> list[tuple[StepKind, int | None, datetime]]:
    """Run the chase as the workflow does: each step due after the previous one happened."""
    plan = []
    last = start
    for done in range(steps):
        step = next_chase_step(acme, done, last)
        plan.append((step.kind, step.reminder_number, step.due_at))
        last = step.due_at
    return plan


def test_the_chase_goes_reminder_reminder_escalation_then_reminders_forever() -> None:
    request = at(STOCKHOLM, 2026, 3, 2, 10, 0)  # Monday

    plan = chase(merchant(), request, 6)

    assert [(kind, number) for kind, number, _ in plan] == [
        (StepKind.REMINDER, 1),
        (StepKind.REMINDER, 2),
        (StepKind.ESCALATION, None),
        (StepKind.REMINDER, 3),
        (StepKind.REMINDER, 4),
        (StepKind.REMINDER, 5),
    ]
    assert [due for _, _, due in plan[:5]] == [
        at(STOCKHOLM, 2026, 3, 5, 10, 0),  # 3 business days after the request
        at(STOCKHOLM, 2026, 3, 10, 10, 0),  # 6
        at(STOCKHOLM, 2026, 3, 16, 10, 0),  # 10: escalation
        at(STOCKHOLM, 2026, 3, 30, 10, 0),  # 10 more, after the DST change, still 10:00
        at(STOCKHOLM, 2026, 4, 15, 10, 0),  # 10 more, skipping Good Friday and Easter Monday
    ]


def test_the_policy_counts_business_days_since_the_request() -> None:
    request = at(AUCKLAND, 2026, 12, 21, 14, 0)
    acme = merchant(
        "Pacific/Auckland",
        "NZ",
        first_reminder_after=2,
        second_reminder_after=5,
        escalate_after=9,
        repeat_reminder_every=4,
    )

    plan = chase(acme, request, 4)

    elapsed = [business_days_between(request, due, "Pacific/Auckland", "NZ") for _, _, due in plan]
    assert elapsed == [2, 5, 9, 13]
    assert all(due.hour == 14 and due.tzinfo == AUCKLAND for _, _, due in plan)


def test_a_step_is_never_due_before_not_before() -> None:
    acme = merchant()
    request = at(STOCKHOLM, 2026, 3, 2, 10, 0)
    snoozed_until = at(STOCKHOLM, 2026, 3, 20, 9, 0)

    step = next_chase_step(acme, 0, request, not_before=snoozed_until)

    assert step.due_at == snoozed_until
    assert (step.kind, step.reminder_number) == (StepKind.REMINDER, 1)


def test_an_earlier_not_before_does_not_bring_a_step_forward() -> None:
    acme = merchant()
    request = at(STOCKHOLM, 2026, 3, 2, 10, 0)

    step = next_chase_step(acme, 2, request, not_before=at(STOCKHOLM, 2026, 3, 3, 9, 0))

    assert step.kind is StepKind.ESCALATION
    assert step.due_at == at(STOCKHOLM, 2026, 3, 6, 10, 0)  # 10 - 6 = 4 business days later


def test_chase_steps_describe_themselves() -> None:
    acme = merchant()
    start = at(STOCKHOLM, 2026, 3, 2, 10, 0)

    assert next_chase_step(acme, 0, start).describe() == "reminder 1 to the merchant"
    assert next_chase_step(acme, 2, start).describe() == "escalation to ops"
    assert next_chase_step(acme, 7, start).describe() == "reminder 7 to the merchant"
