"""Paging properties: every matching task exactly once, in the query's order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support import oracle
from tests.support.builders import add_tasks, all_pages, memory_uow_factory
from tests.support.clock import FakeClock
from tests.support.strategies import (
    TaskSpec,
    build_tasks,
    directions,
    sort_fields,
    task_filters,
    task_specs,
)
from todo_core.model import Task
from todo_core.queries import SortField, TaskFilter
from todo_core.services import ListRequest, TaskService


def _service_with(specs: list[TaskSpec], clock: FakeClock) -> tuple[TaskService, list[Task]]:
    uow_factory = memory_uow_factory()
    tasks = build_tasks(specs, user_id="alice", now=clock.now)
    others = build_tasks(specs[:3], user_id="bob", now=clock.now)
    add_tasks(uow_factory, *tasks, *others)
    return TaskService(uow_factory=uow_factory, clock=clock), tasks


def _expected(
    tasks: list[Task],
    task_filter: TaskFilter,
    sort: SortField,
    descending: bool | None,
    clock: FakeClock,
) -> list[Task]:
    direction = oracle.default_descending(sort) if descending is None else descending
    return oracle.listing(tasks, task_filter, sort, direction, clock.now)


@given(
    specs=task_specs(),
    task_filter=task_filters(),
    sort=sort_fields,
    descending=directions,
    limit=st.integers(1, 8),
)
def test_cursor_paging_yields_each_matching_task_once_in_order(
    specs: list[TaskSpec],
    task_filter: TaskFilter,
    sort: SortField,
    descending: bool | None,
    limit: int,
) -> None:
    clock = FakeClock()
    service, tasks = _service_with(specs, clock)
    request = ListRequest(filter=task_filter, sort=sort, descending=descending, limit=limit)

    pages = all_pages(service, actor="alice", request=request, max_pages=len(tasks) + 1)

    expected = _expected(tasks, task_filter, sort, descending, clock)
    assert [t.id for page in pages for t in page.items] == [t.id for t in expected]
    assert {page.total for page in pages} == {len(expected)}
    assert all(len(page.items) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // limit))


@given(
    specs=task_specs(),
    task_filter=task_filters(),
    sort=sort_fields,
    descending=directions,
    limit=st.integers(1, 8),
)
def test_offset_paging_yields_each_matching_task_once_in_order(
    specs: list[TaskSpec],
    task_filter: TaskFilter,
    sort: SortField,
    descending: bool | None,
    limit: int,
) -> None:
    clock = FakeClock()
    service, tasks = _service_with(specs, clock)
    expected = _expected(tasks, task_filter, sort, descending, clock)

    pages = [
        service.list(
            actor="alice",
            request=ListRequest(
                filter=task_filter, sort=sort, descending=descending, limit=limit, offset=offset
            ),
        )
        for offset in range(0, len(expected) + limit, limit)
    ]

    assert [t.id for page in pages for t in page.items] == [t.id for t in expected]
    assert {page.total for page in pages} == {len(expected)}
    has_more = [page.next_cursor is not None for page in pages]
    assert has_more == [
        offset + limit < len(expected) for offset in range(0, len(expected) + limit, limit)
    ]


@given(
    specs=task_specs(),
    sort=sort_fields,
    descending=directions,
    first_limit=st.integers(1, 5),
    offset=st.integers(0, 6),
)
def test_the_cursor_of_an_offset_page_continues_right_after_it(
    specs: list[TaskSpec],
    sort: SortField,
    descending: bool | None,
    first_limit: int,
    offset: int,
) -> None:
    clock = FakeClock()
    service, tasks = _service_with(specs, clock)
    first = service.list(
        actor="alice",
        request=ListRequest(sort=sort, descending=descending, limit=first_limit, offset=offset),
    )

    rest = (
        service.list(
            actor="alice",
            request=ListRequest(
                sort=sort, descending=descending, limit=100, cursor=first.next_cursor
            ),
        ).items
        if first.next_cursor is not None
        else []
    )

    expected = _expected(tasks, TaskFilter(), sort, descending, clock)
    assert [t.id for t in first.items + rest] == [t.id for t in expected[offset:]]
