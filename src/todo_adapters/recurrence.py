"""``OccurrenceCalculator`` with python-dateutil's ``rrule`` (RFC 5545), in UTC.

The core parses and checks the rule; this only maps it onto ``rrule`` and asks
for the first occurrence after a moment. ``COUNT`` is left out on purpose: the
core counts the tasks of a series, not the dates a late completion skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
    """Occurrences computed by ``dateutil.rrule``; the same in memory and in SQL worlds.

    ``rrule`` drops the microseconds of its start, so the series is computed
    from the start without them and every occurrence moved back by as much:
    a task due at 09:00:00.25 recurs at 09:00:00.25.
    """

    def first_after(self, rule: Recurrence, *, start: datetime, after: datetime) -> datetime | None:
        offset = timedelta(microseconds=start.microsecond)
        weekdays = [
            _WEEKDAYS[day.day] if day.ordinal is None else _WEEKDAYS[day.day](day.ordinal)
            for day in rule.by_day
        ]
        series = rrule.rrule(
            _FREQUENCIES[rule.frequency],
            dtstart=start - offset,
            interval=rule.interval,
            byweekday=weekdays or None,
            bymonthday=rule.by_month_day or None,
            bymonth=rule.by_month or None,
            until=None if rule.until is None else rule.until - offset,
        )
        try:
            following: datetime | None = series.after(after - offset, inc=False)
            return None if following is None else following + offset
        except (OverflowError, ValueError):  # the series runs off the calendar (year 9999)
            return None
