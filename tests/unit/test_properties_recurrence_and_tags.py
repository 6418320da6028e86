"""Properties of sections 7 and 8: tag normalisation, and where a series goes next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, event, given
from hypothesis import strategies as st

from tests.support.builders import memory_service
from tests.support.clock import FakeClock
from todo_adapters.recurrence import DateutilOccurrences
from todo_core.edits import TaskDraft
from todo_core.errors import InvalidInput
from todo_core.model import clean_tags, tag_key
from todo_core.recurrence import check_schedule, next_due_date, parse_recurrence

_tag_chars = st.characters(exclude_categories=["Cc", "Cs"], exclude_characters=",")
tags = st.lists(
    st.text(_tag_chars, min_size=1, max_size=8).filter(lambda tag: tag.strip()), max_size=25
)

_days = st.lists(
    st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, unique=True
)
_monthly_days = st.lists(
    st.builds(
        lambda n, day: f"{n}{day}",
        st.sampled_from(["", "1", "2", "-1", "+3"]),
        _days.map(lambda d: d[0]),
    ),
    min_size=1,
    max_size=3,
    unique=True,
)


@st.composite
def rules(draw: st.DrawFn) -> str:
    """Any rule of the allowed subset without COUNT or UNTIL (those are drawn apart)."""
    frequency = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={frequency}", f"INTERVAL={draw(st.integers(1, 4))}"]
    if frequency == "WEEKLY" and draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(_days)))
    if frequency == "MONTHLY":
        choice = draw(st.sampled_from(["none", "day", "monthday"]))
        if choice == "day":
            parts.append("BYDAY=" + ",".join(draw(_monthly_days)))
        elif choice == "monthday":
            days = draw(st.lists(st.sampled_from([1, 5, 15, 28, 31, -1]), min_size=1, unique=True))
            parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
    if frequency == "YEARLY" and draw(st.booleans()):
        parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
    return ";".join(draw(st.permutations(parts)))


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def _occurs(rule: str, due: datetime) -> bool:
    try:
        check_schedule(rule, due)
    except InvalidInput:
        return False
    return True


@given(tags)
def test_normalising_tags_twice_changes_nothing(raw: list[str]) -> None:
    try:
        once = clean_tags(raw)
    except Exception:
        return

    assert clean_tags(once) == once


@given(tags)
def test_normalised_tags_keep_the_first_spelling_of_each_in_the_order_given(
    raw: list[str],
) -> None:
    expected: list[str] = []
    for tag in raw:
        if tag_key(tag.strip()) not in {tag_key(kept) for kept in expected}:
            expected.append(tag.strip())
    if len(expected) > 20:
        return

    assert list(clean_tags(raw)) == expected


@given(rule=rules(), due=moments, late=st.timedeltas(timedelta(0), timedelta(days=400)))
def test_the_next_occurrence_is_after_both_the_due_date_and_the_completion(
    rule: str, due: datetime, late: timedelta
) -> None:
    completed_at = due + late if late else due - timedelta(hours=1)
    assume(_occurs(rule, due))

    following = next_due_date(
        parse_recurrence(rule),
        due_date=due,
        completed_at=completed_at,
        calculator=DateutilOccurrences(),
    )

    # A rule whose interval never meets its days (FREQ=YEARLY;INTERVAL=4 from a
    # Feb 29 of a year that is not leap + 4k) ends its series instead.
    event("a next occurrence" if following is not None else "the series ended")
    if following is not None:
        assert following > due
        assert following > completed_at


@given(count=st.integers(1, 12), rule=rules(), lateness=st.lists(st.integers(0, 3), min_size=12))
def test_following_a_count_series_creates_exactly_count_minus_one_new_tasks(
    count: int, rule: str, lateness: list[int]
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    service = memory_service(clock)
    first = service.create(
        actor="alice",
        draft=TaskDraft(title="series", due_date=clock.now, recurrence=f"{rule};COUNT={count}"),
    )

    current, created = first, 0
    while True:
        clock.now = max(clock.now, current.due_date or clock.now) + timedelta(
            days=lateness[created % 12]
        )
        written = service.set_completed(actor="alice", task_id=current.id, completed=True)
        if not written.created:
            break
        created += 1
        current = written.created[0]

    assert created == count - 1
    assert service.stats(actor="alice").total == count
