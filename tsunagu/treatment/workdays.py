"""Working days for the clinic's answer deadline (pure functions).

A working day is a weekday that is not a Japanese public holiday (jpholiday,
including substitute holidays) and not in the year-end closure of offices and
clinics, 29 December to 3 January.
"""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.conf import settings


def is_year_end_closure(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_workday(day: dt.date) -> bool:
    """Whether offices and clinics are open on `day`."""
    if day.weekday() >= 5 or is_year_end_closure(day):
        return False
    return not jpholiday.is_holiday(day)


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (`start` itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def answer_due(sent_on: dt.date, days: int | None = None) -> dt.date:
    """The last day a clinic may acknowledge a referral sent on `sent_on`."""
    return add_workdays(sent_on, settings.REFERRAL_ANSWER_DAYS if days is None else days)


def is_overdue(sent_on: dt.date, today: dt.date, days: int | None = None) -> bool:
    """An unanswered referral is overdue from the day after its answer deadline."""
    return today > answer_due(sent_on, days)
