"""Listing and stats through the service: filters, sorts and directions, pages, cursors."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support import oracle
from tests.support.builders import add_tasks, all_pages, make_task, memory_uow_factory
from tests.support.clock import FakeClock
from todo_core.edits import TaskDraft
from todo_core.errors import InvalidInput
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.ports import UnitOfWork
from todo_core.queries import MAX_LIMIT, Page, SortField, TaskFilter, TaskStats
from todo_core.services import ListRequest, TaskService

HOUR = timedelta(hours=1)
UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uow_factory() -> UowFactory:
    return memory_uow_factory()


@pytest.fixture
def service(uow_factory: UowFactory, clock: FakeClock) -> TaskService:
    return TaskService(uow_factory=uow_factory, clock=clock)


@pytest.fixture
def tasks(uow_factory: UowFactory, clock: FakeClock) -> list[Task]:
    """Seven tasks of alice with varied fields and some ties, and one of bob."""
    now = clock.now
    rows = [
        make_task(user_id="alice", title="Pay rent", priority=TaskPriority.HIGH,
                  due_date=now - HOUR, created_at=now - 5 * HOUR),
        make_task(user_id="alice", title="buy milk", status=TaskStatus.COMPLETED,
                  due_date=now - HOUR, created_at=now - 4 * HOUR),
        make_task(user_id="alice", title="Call mum", status=TaskStatus.IN_PROGRESS,
                  priority=TaskPriority.LOW, due_date=now + HOUR, created_at=now - 4 * HOUR),
        make_task(user_id="alice", title="alpha", description="100% sure",
                  created_at=now - 3 * HOUR),
        make_task(user_id="alice", title="Zeta_plan", priority=TaskPriority.HIGH,
                  due_date=now, created_at=now - 2 * HOUR, updated_at=now),
        make_task(user_id="alice", title="BUY bread", status=TaskStatus.COMPLETED,
                  priority=TaskPriority.LOW, created_at=now - 2 * HOUR),
        make_task(user_id="alice", title="école", description="back\\slash",
                  due_date=now + 2 * HOUR, created_at=now - HOUR),
        make_task(user_id="bob", title="Pay rent", due_date=now - HOUR),
    ]  # fmt: skip
    add_tasks(uow_factory, *rows)
    return rows


def alice_tasks(tasks: list[Task]) -> list[Task]:
    return [task for task in tasks if task.user_id == "alice"]


def titles(page: Page) -> list[str]:
    return [task.title for task in page.items]


def list_all(service: TaskService, request: ListRequest, actor: str = "alice") -> list[Task]:
    """Every page of a listing, following the cursors."""
    pages = all_pages(service, actor=actor, request=request, max_pages=20)
    return [task for page in pages for task in page.items]


# --- filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task_filter",
    [
        TaskFilter(statuses=frozenset({TaskStatus.PENDING})),
        TaskFilter(statuses=frozenset({TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED})),
        TaskFilter(priorities=frozenset({TaskPriority.HIGH, TaskPriority.LOW})),
        TaskFilter(completed=True),
        TaskFilter(completed=False),
        TaskFilter(search="BUY"),
        TaskFilter(search="%"),
        TaskFilter(search="_"),
        TaskFilter(search="\\"),
        TaskFilter(search="ÉCOLE"),
        TaskFilter(overdue=True),
        TaskFilter(overdue=False),
        TaskFilter(completed=False, priorities=frozenset({TaskPriority.HIGH}), search="a"),
    ],
    ids=repr,
)
def test_a_filter_lists_exactly_the_matching_tasks(
    service: TaskService, tasks: list[Task], clock: FakeClock, task_filter: TaskFilter
) -> None:
    page = service.list(actor="alice", request=ListRequest(filter=task_filter))

    expected = oracle.listing(
        alice_tasks(tasks), task_filter, SortField.CREATED_AT, True, clock.now
    )
    assert [task.id for task in page.items] == [task.id for task in expected]
    assert page.total == len(expected)
    assert expected, "every example should match something"


def test_overdue_follows_the_clock(
    service: TaskService, tasks: list[Task], clock: FakeClock
) -> None:
    before = service.list(actor="alice", request=ListRequest(filter=TaskFilter(overdue=True)))
    clock.advance(3 * HOUR)

    after = service.list(actor="alice", request=ListRequest(filter=TaskFilter(overdue=True)))

    assert sorted(titles(before)) == ["Pay rent"]
    assert sorted(titles(after)) == ["Call mum", "Pay rent", "Zeta_plan", "école"]


def test_due_after_is_inclusive_and_due_before_exclusive(
    service: TaskService, tasks: list[Task], clock: FakeClock
) -> None:
    now = clock.now

    after = service.list(actor="alice", request=ListRequest(filter=TaskFilter(due_after=now)))
    before = service.list(actor="alice", request=ListRequest(filter=TaskFilter(due_before=now)))

    assert sorted(titles(after)) == ["Call mum", "Zeta_plan", "école"]
    assert sorted(titles(before)) == ["Pay rent", "buy milk"]


# --- sorting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (SortField.CREATED_AT, True),
        (SortField.UPDATED_AT, True),
        (SortField.PRIORITY, True),
        (SortField.DUE_DATE, False),
        (SortField.STATUS, False),
        (SortField.TITLE, False),
    ],
)
def test_each_sort_has_its_default_direction(
    service: TaskService, tasks: list[Task], sort: SortField, expected: bool
) -> None:
    page = service.list(actor="alice", request=ListRequest(sort=sort))

    assert sort.descending_by_default is expected
    assert [t.id for t in page.items] == [
        t.id for t in oracle.order(alice_tasks(tasks), sort, expected)
    ]


def test_the_default_listing_is_newest_first(service: TaskService, tasks: list[Task]) -> None:
    page = service.list(actor="alice", request=ListRequest())

    assert titles(page)[0] == "école"
    assert titles(page)[-1] == "Pay rent"


def test_titles_sort_case_insensitively_a_to_z(service: TaskService, tasks: list[Task]) -> None:
    page = service.list(actor="alice", request=ListRequest(sort=SortField.TITLE))

    assert titles(page) == [
        "alpha",
        "BUY bread",
        "buy milk",
        "Call mum",
        "Pay rent",
        "Zeta_plan",
        "école",
    ]


@pytest.mark.parametrize("descending", [False, True])
def test_undated_tasks_come_last_whatever_the_direction(
    service: TaskService, tasks: list[Task], descending: bool
) -> None:
    page = service.list(
        actor="alice", request=ListRequest(sort=SortField.DUE_DATE, descending=descending)
    )

    dates = [task.due_date for task in page.items]
    assert dates[-2:] == [None, None]
    assert None not in dates[:-2]
    present = [d for d in dates if d is not None]
    assert present == sorted(present, reverse=descending)


@pytest.mark.parametrize("descending", [False, True])
def test_ties_are_broken_by_id_in_the_sorts_direction(
    service: TaskService, clock: FakeClock, descending: bool
) -> None:
    for n in range(8):
        service.create(actor="carol", draft=TaskDraft(title=f"t{n}"))

    page = service.list(actor="carol", request=ListRequest(descending=descending))

    ids = [task.id.int for task in page.items]
    assert ids == sorted(ids, reverse=descending)


# --- pages ----------------------------------------------------------------------------


def test_offset_paging_skips_and_counts_all_matches(
    service: TaskService, tasks: list[Task]
) -> None:
    everything = service.list(actor="alice", request=ListRequest())

    page = service.list(actor="alice", request=ListRequest(limit=2, offset=3))

    assert page.items == everything.items[3:5]
    assert page.total == 7
    assert page.next_cursor is not None


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_cursor_paging_yields_every_task_once_and_no_cursor_after_the_last_page(
    service: TaskService, tasks: list[Task], limit: int
) -> None:
    request = ListRequest(limit=limit, sort=SortField.DUE_DATE)

    listed = list_all(service, request)

    assert [t.id for t in listed] == [
        t.id for t in oracle.order(alice_tasks(tasks), "due_date", False)
    ]


def test_the_limit_may_change_between_pages(service: TaskService, tasks: list[Task]) -> None:
    first = service.list(actor="alice", request=ListRequest(limit=2))

    rest = service.list(actor="alice", request=ListRequest(limit=100, cursor=first.next_cursor))

    assert len(first.items) + len(rest.items) == 7
    assert rest.next_cursor is None


def test_a_cursor_survives_changes_to_other_tasks(service: TaskService, tasks: list[Task]) -> None:
    first = service.list(actor="alice", request=ListRequest(limit=3, sort=SortField.TITLE))
    service.delete(actor="alice", task_id=first.items[0].id)

    rest = service.list(
        actor="alice", request=ListRequest(limit=10, sort=SortField.TITLE, cursor=first.next_cursor)
    )

    assert titles(rest) == ["Call mum", "Pay rent", "Zeta_plan", "école"]


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_a_limit_out_of_range_is_refused(service: TaskService, limit: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.list(actor="alice", request=ListRequest(limit=limit))

    assert caught.value.fields == ("limit",)
    assert caught.value.errors[0].source == "query"


@pytest.mark.parametrize("limit", [1, MAX_LIMIT])
def test_limits_at_the_bounds_are_accepted(
    service: TaskService, tasks: list[Task], limit: int
) -> None:
    page = service.list(actor="alice", request=ListRequest(limit=limit))

    assert len(page.items) == min(limit, 7)


def test_a_negative_offset_is_refused(service: TaskService) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.list(actor="alice", request=ListRequest(offset=-1))

    assert caught.value.fields == ("offset",)


def test_a_cursor_together_with_an_offset_is_refused(
    service: TaskService, tasks: list[Task]
) -> None:
    first = service.list(actor="alice", request=ListRequest(limit=2))

    with pytest.raises(InvalidInput) as caught:
        service.list(
            actor="alice", request=ListRequest(limit=2, offset=2, cursor=first.next_cursor)
        )

    assert caught.value.fields == ("cursor",)


@pytest.mark.parametrize(
    "changed",
    [
        {"sort": SortField.UPDATED_AT},
        {"descending": False},
        {"filter": TaskFilter(completed=False)},
        {"filter": TaskFilter(search="a")},
        {"filter": TaskFilter(priorities=frozenset({TaskPriority.HIGH}))},
    ],
    ids=["sort", "direction", "completed", "search", "priorities"],
)
def test_a_cursor_is_refused_for_another_sort_direction_or_filter(
    service: TaskService, tasks: list[Task], changed: dict[str, object]
) -> None:
    request = ListRequest(limit=2)
    cursor = service.list(actor="alice", request=request).next_cursor

    with pytest.raises(InvalidInput) as caught:
        service.list(actor="alice", request=dataclasses.replace(request, cursor=cursor, **changed))  # type: ignore[arg-type]

    assert caught.value.fields == ("cursor",)


def test_a_cursor_is_refused_for_another_user(service: TaskService, tasks: list[Task]) -> None:
    cursor = service.list(actor="alice", request=ListRequest(limit=2)).next_cursor

    with pytest.raises(InvalidInput) as caught:
        service.list(actor="bob", request=ListRequest(limit=2, cursor=cursor))

    assert caught.value.fields == ("cursor",)


def test_an_explicit_default_direction_keeps_the_cursor_valid(
    service: TaskService, tasks: list[Task]
) -> None:
    cursor = service.list(actor="alice", request=ListRequest(limit=2)).next_cursor

    page = service.list(actor="alice", request=ListRequest(limit=2, descending=True, cursor=cursor))

    assert len(page.items) == 2


@pytest.mark.parametrize("cursor", ["", "not a cursor", "!!!!", "eyJ4IjoxfQ", "W10", "bnVsbA", "é"])
def test_a_corrupt_cursor_is_refused_on_cursor(service: TaskService, cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.list(actor="alice", request=ListRequest(cursor=cursor))

    assert caught.value.fields == ("cursor",)


# --- stats ----------------------------------------------------------------------------


def test_stats_count_statuses_priorities_and_overdue(
    service: TaskService, tasks: list[Task]
) -> None:
    stats = service.stats(actor="alice")

    assert stats == TaskStats(
        total=7,
        overdue=1,
        by_status={TaskStatus.PENDING: 4, TaskStatus.IN_PROGRESS: 1, TaskStatus.COMPLETED: 2},
        by_priority={TaskPriority.LOW: 2, TaskPriority.MEDIUM: 3, TaskPriority.HIGH: 2},
    )


def test_stats_overdue_uses_the_clock(
    service: TaskService, tasks: list[Task], clock: FakeClock
) -> None:
    clock.advance(timedelta(minutes=90))

    stats = service.stats(actor="alice")

    assert stats.overdue == 3


def test_stats_of_a_user_without_tasks_are_zero(service: TaskService, tasks: list[Task]) -> None:
    assert service.stats(actor=str(uuid.uuid4())) == TaskStats()
