"""Working days, for the notice periods of Decision 45/2018/QĐ-TTg."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta, timezone

# Meetings are held, and notice is counted, in Vietnam's time.
LOCAL_TZ = timezone(timedelta(hours=7), "ICT")

# Invitations and documents of a regular meeting go out at least this many
# working days before it.
NOTICE_WORKING_DAYS = 3
# The conclusion notice is due this many working days after the meeting.
CONCLUSION_WORKING_DAYS = 5


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days strictly after `start` and strictly before `end`: the full
    days of notice a document sent on `start` gives a meeting held on `end`."""
    count = 0
    day = start + timedelta(days=1)
    while day < end:
        if is_working_day(day, holidays):
            count += 1
        day += timedelta(days=1)
    return count


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def iso(moment: datetime) -> str:
    """A moment as the people in the room read it: ISO 8601 in Vietnam's time."""
    return moment.astimezone(LOCAL_TZ).isoformat()
