"""``OccurrenceCalculator`` with python-dateutil's ``rrule`` (RFC 5545), in UTC.

The core parses and checks the rule; this only maps it onto ``rrule`` and asks
for the first occurrence after a moment. ``COUNT`` is left out on purpose: the
core counts the tasks of a series, not the dates a late completion skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from dateutil import rrule

from todo_core.recurrence import Frequency, Recurrence

_FREQUENCIES: Final[dict[Frequency, Literal[0, 1, 2, 3, 4, 5, 6]]] = {
    Frequency.DAILY: rrule.DAILY,
    Frequency.WEEKLY: rrule.WEEKLY,
    Frequency.MONTHLY: rrule.MONTHLY,
    Frequency.YEARLY: rrule.YEARLY,
}
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


class DateutilOccurrences:
    """Occurrences computed by ``dateutil.rrule``; the same in memory and in SQL worlds."""

    def first_after(self, rule: Recurrence, *, start: datetime, after: datetime) -> datetime | None:
        weekdays = [
            _WEEKDAYS[day.day] if day.ordinal is None else _WEEKDAYS[day.day](day.ordinal)
            for day in rule.by_day
        ]
        series = rrule.rrule(
            _FREQUENCIES[rule.frequency],
            dtstart=start,
            interval=rule.interval,
            byweekday=weekdays or None,
            bymonthday=rule.by_month_day or None,
            bymonth=rule.by_month or None,
            until=rule.until,
        )
        try:
            following: datetime | None = series.after(after, inc=False)
        except (OverflowError, ValueError):  # the series runs off the calendar (year 9999)
            return None
        return following
