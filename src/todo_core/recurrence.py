"""Recurring tasks: the RRULE subset a task may carry, and which occurrence comes next.

The core owns the grammar (API.md section 8: ``FREQ``, ``INTERVAL``,
``BYDAY``, ``BYMONTHDAY``, ``BYMONTH`` and one of ``COUNT``/``UNTIL``, parts in
any order) and the policy: completing a recurring task creates, once, the
first occurrence after both its due date and the moment of completion, with a
``COUNT`` one lower. Computing occurrences is left to a well-kept library
behind ``OccurrenceCalculator`` (``todo_adapters.recurrence``, dateutil's
``rrule``), injected like the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final, Protocol

from todo_core.errors import InvalidInput

FIELD: Final = "recurrence"
MAX_INTERVAL: Final = 999
MAX_COUNT: Final = 1000
#: Long enough for every allowed part with every list item; longer is refused outright.
MAX_RULE_LENGTH: Final = 500
WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_BYDAY_ITEM: Final = re.compile(r"([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)")
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,4}")
_UNTIL_DATE: Final = re.compile(r"[0-9]{8}")
_UNTIL_MOMENT: Final = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_ORDER: Final = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL")


class Frequency(StrEnum):
    """How often the rule repeats."""

    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    YEARLY = "YEARLY"


@dataclass(frozen=True, slots=True)
class Weekday:
    """A ``BYDAY`` item: a weekday (0 = Monday), with an ordinal in a month (``-1FR``)."""

    day: int
    ordinal: int | None = None

    def text(self) -> str:
        ordinal = "" if self.ordinal is None else str(self.ordinal)
        return f"{ordinal}{WEEKDAYS[self.day]}"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A parsed rule. ``until`` is inclusive; a date-only ``UNTIL`` covers that whole day."""

    frequency: Frequency
    interval: int = 1
    by_day: tuple[Weekday, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_month: tuple[int, ...] = ()
    count: int | None = None
    until: datetime | None = None
    until_text: str | None = None

    def text(self) -> str:
        """The canonical RRULE value (parts in a fixed order), as stored and returned."""
        parts = {
            "FREQ": self.frequency.value,
            "INTERVAL": str(self.interval) if self.interval != 1 else None,
            "BYDAY": ",".join(item.text() for item in self.by_day) or None,
            "BYMONTHDAY": ",".join(map(str, self.by_month_day)) or None,
            "BYMONTH": ",".join(map(str, self.by_month)) or None,
            "COUNT": str(self.count) if self.count is not None else None,
            "UNTIL": self.until_text,
        }
        return ";".join(f"{name}={value}" for name, value in parts.items() if value is not None)

    def for_next(self) -> Recurrence:
        """The rule the next task of the series carries (``COUNT`` counts tasks)."""
        return self if self.count is None else replace(self, count=self.count - 1)

    @property
    def is_last(self) -> bool:
        """Whether a task with this rule is the last of its series (``COUNT=1``)."""
        return self.count == 1


class OccurrenceCalculator(Protocol):
    """Computes occurrences of a rule (implemented with dateutil in ``todo_adapters``)."""

    def first_after(self, rule: Recurrence, *, start: datetime, after: datetime) -> datetime | None:
        """The first occurrence counted from ``start`` strictly after ``after``.

        ``COUNT`` is the core's business (it counts tasks) and is ignored here;
        ``None`` when ``UNTIL`` (or the calendar's end) leaves none.
        """


def parse_recurrence(text: str) -> Recurrence:
    """Read an RRULE value of the allowed subset, or ``InvalidInput`` naming ``recurrence``."""
    if len(text) > MAX_RULE_LENGTH:
        raise _bad("Recurrence rule is too long")
    parts: dict[str, str] = {}
    for part in text.strip().split(";"):
        name, equals, value = part.partition("=")
        name = name.strip().upper()
        if not equals or name not in _ORDER or name in parts or not value.strip():
            raise _bad(f"Recurrence part {part.strip()[:40]!r} is not allowed or repeated")
        parts[name] = value.strip().upper()
    if "FREQ" not in parts:
        raise _bad("Recurrence needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _bad("Recurrence takes COUNT or UNTIL, not both")
    try:
        frequency = Frequency(parts["FREQ"])
    except ValueError:
        raise _bad("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY") from None
    until, until_text = _until(parts.get("UNTIL"))
    return Recurrence(
        frequency=frequency,
        interval=_number(parts.get("INTERVAL", "1"), "INTERVAL", 1, MAX_INTERVAL),
        by_day=_by_day(parts.get("BYDAY"), frequency),
        by_month_day=_numbers(parts.get("BYMONTHDAY"), "BYMONTHDAY", _month_day_ok),
        by_month=_numbers(parts.get("BYMONTH"), "BYMONTH", lambda n: 1 <= n <= 12),
        count=_number(parts["COUNT"], "COUNT", 1, MAX_COUNT) if "COUNT" in parts else None,
        until=until,
        until_text=until_text,
    )


def clean_recurrence(value: str | None) -> str | None:
    """The canonical form of a rule (``None`` clears it); ``InvalidInput`` if not allowed."""
    if value is None:
        return None
    return parse_recurrence(value).text()


def check_schedule(recurrence: str | None, due_date: datetime | None) -> None:
    """A recurring task needs a due date, and ``UNTIL`` may not lie before it."""
    if recurrence is None:
        return
    if due_date is None:
        raise _bad("A recurring task needs a due_date")
    until = parse_recurrence(recurrence).until
    if until is not None and until < due_date:
        raise _bad("UNTIL lies before the due date")


def _bad(message: str) -> InvalidInput:
    return InvalidInput.single(FIELD, message)


def _number(text: str, name: str, low: int, high: int) -> int:
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise _bad(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _month_day_ok(number: int) -> bool:
    return 1 <= number <= 31 or number == -1


def _numbers(text: str | None, name: str, allowed: object) -> tuple[int, ...]:
    if text is None:
        return ()
    items = text.split(",")
    if not all(_INTEGER.fullmatch(item) for item in items):
        raise _bad(f"{name} takes a comma-separated list of numbers")
    numbers = tuple(int(item) for item in items)
    if not all(allowed(number) for number in numbers):  # type: ignore[operator]
        raise _bad(f"{name} has a value out of range")
    return numbers


def _by_day(text: str | None, frequency: Frequency) -> tuple[Weekday, ...]:
    if text is None:
        return ()
    days: list[Weekday] = []
    for item in text.split(","):
        match = _BYDAY_ITEM.fullmatch(item)
        if match is None:
            raise _bad("BYDAY takes MO, TU, WE, TH, FR, SA, SU (with MONTHLY: 1MO, -1FR)")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and (frequency is not Frequency.MONTHLY or ordinal == 0):
            raise _bad("An ordinal in BYDAY (1MO, -1FR) goes with FREQ=MONTHLY only")
        days.append(Weekday(WEEKDAYS.index(match.group(2)), ordinal))
    return tuple(days)


def _until(text: str | None) -> tuple[datetime | None, str | None]:
    if text is None:
        return None, None
    try:
        if _UNTIL_DATE.fullmatch(text):
            day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
            return datetime.combine(day, time.max, tzinfo=UTC), text
        if _UNTIL_MOMENT.fullmatch(text):
            moment = datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return moment, text
    except ValueError:
        pass
    raise _bad("UNTIL must be a UTC timestamp 20261231T235959Z or a date 20261231")


def next_due_date(
    rule: Recurrence,
    *,
    due_date: datetime,
    completed_at: datetime,
    calculator: OccurrenceCalculator,
) -> datetime | None:
    """When the next task of the series is due, or ``None`` if the series has ended.

    The first occurrence counted from ``due_date`` after both it and the
    completion, so a task finished late leaves no trail of overdue copies.
    """
    if rule.is_last:
        return None
    due = calculator.first_after(rule, start=due_date, after=max(due_date, completed_at))
    if due is None or (rule.until is not None and due > rule.until):
        return None
    return due


def shifted(moment: datetime | None, by: timedelta) -> datetime | None:
    """``moment`` moved by ``by`` (``None`` stays ``None``, and so does one off the calendar)."""
    if moment is None:
        return None
    try:
        return moment + by
    except OverflowError:
        return None
