"""The SQL listing agrees with the in-memory reference on every filter, sort and page.

Random tasks (with tied sort values and case-folding traps) are stored in both
adapters, then the same queries, including hand-made cursor positions the
server would never issue, must give the same pages, totals, cursors and stats.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event

from tests.integration.conftest import UowFactory, sql_uow_factory
from tests.support.builders import add_tasks, fresh_user_id, make_task, memory_uow_factory
from tests.support.strategies import sort_fields, tag_lists, task_filters
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.queries import (
    Page,
    Position,
    SortField,
    SortValue,
    TaskFilter,
    TaskQuery,
    decode_cursor,
)

NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)

#: Titles whose case-folded forms tie, grow, or sort away from their originals.
TRAP_TITLES = (
    "alpha", "ALPHA", "Straße", "STRASSE", "strasse", "ΐ", "İstanbul", "istanbul",
    "ǅemal", "DŽEMAL", "100% done", "a_b", "a\\b", "zeta", "Ωmega", "ωmega", "\U0001f600 smile",
    "ﬁne", "FINE", "SS", "st",
)  # fmt: skip
TRAP_DESCRIPTIONS = (None, "", "über ALLES", "UEBER alles", "line one\nline two", "50%_off\\")
TRAP_SEARCHES = (
    "ss", "SS", "ß", "straße", "i̇", "İ", "ǆ", "fi", "ﬁ", "%", "_", "\\", "a_b", "100%",
    "über", "line\nline", "\x00", "al\ud800", "", "😀",
)  # fmt: skip


@st.composite
def stored_tasks(draw: st.DrawFn) -> list[Task]:
    size = draw(st.integers(0, 14))
    moments = st.sampled_from([NOW - timedelta(hours=h) for h in (-2, -1, 0, 1, 2)])
    dues = (
        st.none()
        | moments
        | st.sampled_from(
            [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
        )
    )
    tasks = []
    for _ in range(size):
        status = draw(st.sampled_from(TaskStatus))
        created = draw(moments)
        tasks.append(
            make_task(
                user_id="placeholder",
                title=draw(st.sampled_from(TRAP_TITLES)),
                description=draw(st.sampled_from(TRAP_DESCRIPTIONS)),
                status=status,
                priority=draw(st.sampled_from(TaskPriority)),
                due_date=draw(dues),
                remind_at=draw(dues),
                tags=draw(tag_lists),
                created_at=created,
                updated_at=created + timedelta(microseconds=draw(st.integers(0, 2))),
            )
        )
    return tasks


def _hand_made_values(sort: SortField) -> st.SearchStrategy[Any]:
    if sort in (
        SortField.CREATED_AT,
        SortField.UPDATED_AT,
        SortField.DUE_DATE,
        SortField.REMIND_AT,
    ):
        zones = st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))])
        plain = st.sampled_from([NOW - timedelta(hours=h) for h in (-3, -1, 0, 1, 3)])
        extreme = st.sampled_from(
            [
                datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
                datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # after 9999
                datetime(1, 1, 1, tzinfo=UTC),
            ]
        )
        values = st.builds(lambda moment, zone: moment.astimezone(zone), plain, zones) | extreme
        return values | st.none() if sort.nullable else values
    if sort in (SortField.PRIORITY, SortField.STATUS):
        return st.integers(-3, 5) | st.sampled_from([-(2**70), 2**70])
    return st.sampled_from(
        ["", "alpha", "strasse", "straße", "ss\x00", "ss\x00z", "st\ud800", "\ud800", "\x00", "ω"]
    ) | st.sampled_from(TRAP_TITLES).map(str.casefold)


@st.composite
def queries(draw: st.DrawFn, tasks: list[Task]) -> TaskQuery:
    sort = draw(sort_fields)
    base_filter = draw(task_filters(around=NOW))
    search = draw(st.none() | st.sampled_from(TRAP_SEARCHES))
    query = TaskQuery(
        user_id="placeholder",
        now=NOW,
        filter=dataclasses.replace(base_filter, search=search),
        sort=sort,
        descending=draw(st.booleans()),
        limit=draw(st.integers(1, 6)),
    )
    paging = draw(st.sampled_from(["first", "offset", "cursor"]))
    if paging == "offset":
        return dataclasses.replace(query, offset=draw(st.integers(1, 16)))
    if paging == "cursor":
        ids = st.sampled_from([task.id for task in tasks]) if tasks else st.nothing()
        task_id = draw(ids | st.uuids(version=4) | st.just(uuid.UUID(int=0)))
        value = draw(_hand_made_values(sort))
        return dataclasses.replace(query, after=Position(value, task_id))
    return query


def _for_user(tasks: list[Task], user_id: str) -> list[Task]:
    return [dataclasses.replace(task, user_id=user_id, id=uuid.uuid4()) for task in tasks]


def _comparable(page: Page, query: TaskQuery) -> tuple[list[int], int, object]:
    """Items as positions in the stored list, so both adapters' ids compare."""
    position = decode_cursor(page.next_cursor, query).value if page.next_cursor else None
    return ([task.version for task in page.items], page.total, position)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_factory(request: pytest.FixtureRequest) -> UowFactory:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(name)
    return sql_uow_factory(engine)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), tasks=stored_tasks())
def test_every_listing_and_the_stats_match_the_in_memory_adapter(
    sql_factory: UowFactory, data: st.DataObject, tasks: list[Task]
) -> None:
    # Each task gets a distinct version, used as its identity across both stores
    # (the ids differ: both adapters must order ties by their own ids alike).
    user_id = fresh_user_id()
    tasks = [dataclasses.replace(task, version=n + 1) for n, task in enumerate(tasks)]
    base = uuid.uuid4().int & ~0xFFFF
    shared = [
        dataclasses.replace(task, user_id=user_id, id=uuid.UUID(int=base | (n * 4099 % 65536)))
        for n, task in enumerate(tasks)
    ]
    memory = memory_uow_factory()
    add_tasks(memory, *shared)
    add_tasks(sql_factory, *shared)

    for _ in range(4):
        query = dataclasses.replace(data.draw(queries(shared)), user_id=user_id)
        with memory() as uow:
            expected = uow.reader.list(query)
        with sql_factory() as uow:
            actual = uow.reader.list(query)
        assert _comparable(actual, query) == _comparable(expected, query), query
        assert actual.next_cursor == expected.next_cursor

    with memory() as uow:
        expected_stats = uow.reader.stats(user_id, now=NOW)
    with sql_factory() as uow:
        assert uow.reader.stats(user_id, now=NOW) == expected_stats


@pytest.mark.postgres
def test_a_cursor_page_is_a_keyset_range_without_offset(postgres_engine: Engine) -> None:
    factory = sql_uow_factory(postgres_engine)
    user_id = fresh_user_id()
    add_tasks(factory, *(make_task(user_id=user_id, title=f"t{n}") for n in range(5)))
    query = TaskQuery(user_id=user_id, now=NOW, limit=2)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    with factory() as uow:
        first = uow.reader.list(query)
    assert first.next_cursor is not None
    after = dataclasses.replace(query, after=decode_cursor(first.next_cursor, query))
    event.listen(postgres_engine, "before_cursor_execute", capture)
    try:
        with factory() as uow:
            uow.reader.list(after)
    finally:
        event.remove(postgres_engine, "before_cursor_execute", capture)

    [listing] = [s for s in statements if s.startswith("SELECT")]
    assert "OFFSET" not in listing
    assert "(tasks.created_at, tasks.id) < (%(after_value)s, %(after_id)s::UUID)" in listing


HAND_MADE_CURSORS = [
    (SortField.TITLE, "ss\x00"),
    (SortField.TITLE, "ss\x00z"),
    (SortField.TITLE, "\x00"),
    (SortField.TITLE, "st\ud800"),
    (SortField.TITLE, "\ud800"),
    (SortField.TITLE, "ss"),
    (SortField.DUE_DATE, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
    (SortField.DUE_DATE, datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))),
    (SortField.CREATED_AT, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))),
    (SortField.CREATED_AT, datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))),
    (SortField.PRIORITY, 2**70),
    (SortField.PRIORITY, -(2**70)),
    (SortField.STATUS, 1),
]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(("sort", "value"), HAND_MADE_CURSORS)
def test_a_hand_made_cursor_position_pages_exactly_as_in_memory(
    sql_factory: UowFactory, sort: SortField, value: SortValue, descending: bool
) -> None:
    user_id = fresh_user_id()
    titles = ["s", "ss", "SS", "ssa", "st", "sta", "\ufffd", "\U0001f600", "r"]
    dues = [None, datetime(1, 1, 1, tzinfo=UTC), NOW, datetime(9999, 12, 31, tzinfo=UTC)]
    tasks = [
        make_task(
            user_id=user_id,
            title=title,
            due_date=dues[n % len(dues)],
            priority=list(TaskPriority)[n % 3],
            status=list(TaskStatus)[n % 3],
            created_at=NOW + timedelta(seconds=n % 4),
            version=n + 1,
        )
        for n, title in enumerate(titles)
    ]
    memory = memory_uow_factory()
    add_tasks(memory, *tasks)
    add_tasks(sql_factory, *tasks)
    middle = sorted(task.id for task in tasks)[len(tasks) // 2]
    query = TaskQuery(
        user_id=user_id, now=NOW, sort=sort, descending=descending, after=Position(value, middle)
    )

    with memory() as uow:
        expected = uow.reader.list(query)
    with sql_factory() as uow:
        actual = uow.reader.list(query)

    assert [t.title for t in actual.items] == [t.title for t in expected.items]
    assert (actual.total, actual.next_cursor) == (expected.total, expected.next_cursor)


BEFORE_YEAR_1 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
AFTER_YEAR_9999 = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    "task_filter",
    [
        TaskFilter(due_after=BEFORE_YEAR_1),
        TaskFilter(due_before=BEFORE_YEAR_1),
        TaskFilter(due_after=AFTER_YEAR_9999),
        TaskFilter(due_before=AFTER_YEAR_9999),
        TaskFilter(due_after=BEFORE_YEAR_1, due_before=AFTER_YEAR_9999),
    ],
    ids=["after-before-1", "before-before-1", "after-after-9999", "before-after-9999", "both"],
)
def test_due_bounds_beyond_the_storable_years_filter_exactly_as_in_memory(
    sql_factory: UowFactory, task_filter: TaskFilter
) -> None:
    user_id = fresh_user_id()
    dues = [None, datetime(1, 1, 1, tzinfo=UTC), NOW, datetime(9999, 12, 31, tzinfo=UTC)]
    tasks = [make_task(user_id=user_id, due_date=due) for due in dues]
    memory = memory_uow_factory()
    add_tasks(memory, *tasks)
    add_tasks(sql_factory, *tasks)
    query = TaskQuery(user_id=user_id, now=NOW, filter=task_filter)

    with memory() as uow:
        expected = uow.reader.list(query)
    with sql_factory() as uow:
        actual = uow.reader.list(query)

    assert [t.id for t in actual.items] == [t.id for t in expected.items]
    assert actual.total == expected.total


def test_an_empty_filter_set_matches_nothing_like_in_memory(sqlite_engine: Engine) -> None:
    factory = sql_uow_factory(sqlite_engine)
    user_id = fresh_user_id()
    add_tasks(factory, make_task(user_id=user_id))
    query = TaskQuery(user_id=user_id, now=NOW, filter=TaskFilter(statuses=frozenset()))

    with factory() as uow:
        page = uow.reader.list(query)

    assert (page.items, page.total) == ([], 0)
