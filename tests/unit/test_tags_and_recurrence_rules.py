"""API.md sections 7-9 as examples: the tag rules, the recurrence grammar and policy, reminders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.builders import make_task
from todo_adapters.recurrence import DateutilOccurrences
from todo_core.edits import TaskChanges, TaskDraft, apply_changes, new_task, next_occurrence
from todo_core.errors import InvalidInput
from todo_core.model import Task, TaskStatus, clean_remind_at, clean_tags
from todo_core.recurrence import clean_recurrence, parse_recurrence

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # a Friday
OCCURRENCES = DateutilOccurrences()


def _fields(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, ...]:
    return error.value.fields


# --- tags ------------------------------------------------------------------------------


def test_tags_are_trimmed_like_a_title() -> None:
    assert clean_tags(["  work\t", "\u3000home"]) == ("work", "home")


def test_tags_equal_but_for_case_are_one_and_the_first_spelling_wins() -> None:
    assert clean_tags(["Work", "home", "WORK", "work"]) == ("Work", "home")


def test_tags_keep_the_order_they_were_given_in() -> None:
    assert clean_tags(["z", "a", "m"]) == ("z", "a", "m")


def test_none_and_an_empty_list_mean_no_tags() -> None:
    assert clean_tags(None) == clean_tags([]) == ()


@pytest.mark.parametrize("tag", ["", "   ", "x" * 51, "a,b", "bell\x07", "lone\ud800"])
def test_a_tag_that_breaks_a_rule_is_refused_naming_tags(tag: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_tags(["fine", tag])

    assert _fields(raised) == ("tags",)


def test_a_tag_of_fifty_characters_and_emoji_with_joiners_are_fine() -> None:
    assert clean_tags(["x" * 50, "👩\u200d💻"]) == ("x" * 50, "👩\u200d💻")


def test_twenty_tags_are_allowed_and_twenty_one_are_not() -> None:
    twenty = [f"t{n}" for n in range(20)]

    assert len(clean_tags(twenty)) == 20
    with pytest.raises(InvalidInput):
        clean_tags([*twenty, "one more"])


def test_the_limit_counts_tags_after_repeats_are_dropped() -> None:
    tags = [f"t{n}" for n in range(20)] + ["T0", "T1"]

    assert len(clean_tags(tags)) == 20


# --- recurrence: the grammar ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "canonical"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("freq=weekly;byday=mo,we", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("BYDAY=FR;FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=6", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15,-1", "FREQ=MONTHLY;BYMONTHDAY=1,15,-1"),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24", "FREQ=YEARLY;BYMONTHDAY=24;BYMONTH=12"),
        ("FREQ=DAILY;UNTIL=20261231", "FREQ=DAILY;UNTIL=20261231"),
        ("FREQ=DAILY;UNTIL=20261231T235959Z", "FREQ=DAILY;UNTIL=20261231T235959Z"),
        ("FREQ=DAILY;INTERVAL=1", "FREQ=DAILY"),
    ],
)
def test_an_allowed_rule_is_kept_in_its_canonical_form(rule: str, canonical: str) -> None:
    assert clean_recurrence(rule) == canonical


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=DAILY",
        "FREQ=HOURLY",
        "FREQ=SECONDLY",
        "INTERVAL=2",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=1000",
        "FREQ=DAILY;COUNT=0",
        "FREQ=DAILY;COUNT=1001",
        "FREQ=DAILY;COUNT=2;UNTIL=20261231",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=0MO",
        "FREQ=MONTHLY;BYDAY=6MO",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "FREQ=MONTHLY;BYMONTHDAY=-2",
        "FREQ=YEARLY;BYMONTH=13",
        "FREQ=DAILY;UNTIL=20261301",
        "FREQ=DAILY;UNTIL=2026-12-31",
        "FREQ=DAILY;BYSETPOS=1",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=DAILY;",
        "",
        "FREQ=DAILY;WKST=MO",
        "FREQ=DAILY;COUNT=" + "9" * 600,
    ],
)
def test_anything_outside_the_allowed_subset_is_refused_naming_recurrence(rule: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_recurrence(rule)

    assert _fields(raised) == ("recurrence",)


def test_a_date_until_covers_that_whole_day() -> None:
    until = parse_recurrence("FREQ=DAILY;UNTIL=20261231").until

    assert until == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_recurring_task_needs_a_due_date() -> None:
    with pytest.raises(InvalidInput) as raised:
        new_task(TaskDraft(title="t", recurrence="FREQ=DAILY"), user_id="u", now=NOW)

    assert _fields(raised) == ("recurrence",)


def test_an_until_before_the_due_date_is_refused() -> None:
    draft = TaskDraft(title="t", due_date=DUE, recurrence="FREQ=DAILY;UNTIL=20261203")

    with pytest.raises(InvalidInput) as raised:
        new_task(draft, user_id="u", now=NOW)

    assert _fields(raised) == ("recurrence",)


def test_clearing_the_due_date_of_a_recurring_task_is_refused_and_changes_nothing() -> None:
    task = make_task(user_id="u", due_date=DUE, recurrence="FREQ=DAILY")

    with pytest.raises(InvalidInput) as raised:
        apply_changes(task, TaskChanges(due_date=None, title="renamed"), now=NOW)

    assert _fields(raised) == ("recurrence",)
    assert (task.title, task.due_date, task.version) == ("A task", DUE, 1)


# --- recurrence: the next occurrence ----------------------------------------------------


def _completed(rule: str, *, due: datetime = DUE, remind_at: datetime | None = None) -> Task:
    return make_task(
        user_id="u",
        title="Weekly review",
        tags=("work",),
        due_date=due,
        recurrence=rule,
        remind_at=remind_at,
        status=TaskStatus.COMPLETED,
    )


def _next(task: Task, now: datetime = NOW) -> Task:
    following = next_occurrence(task, now=now, calculator=OCCURRENCES, task_id=uuid.uuid4())
    assert following is not None
    return following


def _none_next(task: Task, now: datetime = NOW) -> bool:
    return next_occurrence(task, now=now, calculator=OCCURRENCES, task_id=uuid.uuid4()) is None


def test_the_next_occurrence_copies_the_task_and_is_due_at_the_next_date() -> None:
    done = _completed("FREQ=WEEKLY;BYDAY=FR", remind_at=DUE - timedelta(hours=1))

    following = _next(done)

    assert following.due_date == DUE + timedelta(days=7)
    assert following.remind_at == DUE + timedelta(days=7, hours=-1)
    assert following.status is TaskStatus.PENDING
    assert (following.title, following.tags) == ("Weekly review", ("work",))
    assert following.version == 1


def test_a_late_completion_leaves_no_trail_of_overdue_copies() -> None:
    done = _completed("FREQ=DAILY")

    following = _next(done, now=DUE + timedelta(days=10, hours=1))

    assert following.due_date == DUE + timedelta(days=11)


def test_count_counts_the_tasks_of_the_series_not_the_dates_skipped() -> None:
    done = _completed("FREQ=DAILY;COUNT=3")

    following = _next(done, now=DUE + timedelta(days=5))

    assert following.recurrence == "FREQ=DAILY;COUNT=2"


def test_the_last_task_of_a_count_series_creates_none() -> None:
    assert _none_next(_completed("FREQ=DAILY;COUNT=1"))


def test_the_last_occurrence_before_until_creates_none() -> None:
    assert _none_next(_completed("FREQ=WEEKLY;UNTIL=20261210"))


def test_a_task_that_already_created_its_next_occurrence_creates_no_other() -> None:
    done = _completed("FREQ=DAILY")
    done.next_occurrence_id = uuid.uuid4()

    assert _none_next(done)


def test_monthly_on_the_last_friday_skips_to_that_friday() -> None:
    due = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)  # the last Friday of December 2026

    following = _next(_completed("FREQ=MONTHLY;BYDAY=-1FR", due=due), now=due)

    assert following.due_date == datetime(2027, 1, 29, 9, 0, tzinfo=UTC)


def test_occurrences_are_computed_in_utc_whatever_offset_the_due_date_came_with() -> None:
    due = datetime(2026, 12, 4, 23, 30, tzinfo=timezone(timedelta(hours=-5))).astimezone(UTC)

    following = _next(_completed("FREQ=DAILY", due=due), now=due)

    assert following.due_date == due + timedelta(days=1)


# --- reminders --------------------------------------------------------------------------


def test_a_reminder_may_be_any_instant_even_after_the_due_date() -> None:
    task = new_task(
        TaskDraft(title="t", due_date=DUE, remind_at=DUE + timedelta(days=1)), user_id="u", now=NOW
    )

    assert task.remind_at == DUE + timedelta(days=1)


def test_a_reminder_is_normalised_to_utc_and_a_naive_one_is_refused() -> None:
    assert clean_remind_at(datetime(2026, 12, 4, 10, tzinfo=timezone(timedelta(hours=2)))) == (
        datetime(2026, 12, 4, 8, tzinfo=UTC)
    )
    with pytest.raises(InvalidInput) as raised:
        clean_remind_at(datetime(2026, 12, 4, 10))
    assert _fields(raised) == ("remind_at",)


@pytest.mark.parametrize(
    ("rule", "due"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", DUE),
        ("FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31", DUE),
        ("FREQ=YEARLY;BYMONTH=2", datetime(2026, 1, 31, tzinfo=UTC)),
        ("FREQ=MONTHLY;BYMONTH=11", datetime(2026, 12, 31, tzinfo=UTC)),
    ],
)
def test_a_rule_that_never_occurs_is_refused_naming_recurrence(rule: str, due: datetime) -> None:
    with pytest.raises(InvalidInput) as raised:
        new_task(TaskDraft(title="t", due_date=due, recurrence=rule), user_id="u", now=NOW)

    assert _fields(raised) == ("recurrence",)


def test_a_rare_rule_still_recurs_leap_days_included() -> None:
    due = datetime(2028, 2, 29, 9, tzinfo=UTC)

    following = _next(_completed("FREQ=YEARLY", due=due), now=due)

    assert following.due_date == datetime(2032, 2, 29, 9, tzinfo=UTC)


def test_a_rare_rule_is_still_found() -> None:
    due = datetime(2026, 2, 2, 9, tzinfo=UTC)  # the 5th Monday of February: every 28 years or so
    rule = parse_recurrence("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO")

    found = OCCURRENCES.first_after(rule, start=due, after=due)

    assert found == datetime(2044, 2, 29, 9, tzinfo=UTC)


def test_a_rule_whose_interval_never_meets_its_days_ends_the_series() -> None:
    due = datetime(2028, 2, 29, 9, tzinfo=UTC)
    rule = parse_recurrence("FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29;UNTIL=21001231")

    assert OCCURRENCES.first_after(rule, start=due, after=due) == datetime(
        2040, 2, 29, 9, tzinfo=UTC
    )
    assert _none_next(_completed("FREQ=YEARLY;INTERVAL=4;UNTIL=20300101", due=due))


def test_plain_and_ordinal_days_of_a_monthly_rule_are_united_as_rfc_5545_says() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
    rule = parse_recurrence("FREQ=MONTHLY;BYDAY=FR,2SA")

    found = OCCURRENCES.first_after(rule, start=start, after=datetime(2026, 1, 9, 9, tzinfo=UTC))

    assert found == datetime(2026, 1, 10, 9, tzinfo=UTC)  # the second Saturday, not a Friday
