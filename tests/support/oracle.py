"""The listing and counting rules of API.md section 4, written again from the text.

Tests compare the code with these plain re-statements rather than with the
code's own helpers, so a shared mistake cannot hide itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime

from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.queries import SortField, TaskFilter, TaskStats

PRIORITY_ORDER = {"low": 0, "medium": 1, "high": 2}
STATUS_ORDER = {"pending": 0, "in_progress": 1, "completed": 2}
DEFAULT_DESCENDING = {"created_at": True, "updated_at": True, "priority": True}


def default_descending(sort: SortField | str) -> bool:
    """``desc`` for created_at, updated_at and priority; ``asc`` for the rest."""
    return DEFAULT_DESCENDING.get(str(sort), False)


def is_overdue(task: Task, now: datetime) -> bool:
    """Due before now and not completed."""
    return task.due_date is not None and task.due_date < now and task.status != "completed"


def matches(task: Task, task_filter: TaskFilter, now: datetime) -> bool:
    """Whether ``task`` passes every filter of the listing table."""
    f = task_filter
    checks = [
        f.statuses is None or task.status in f.statuses,
        f.priorities is None or task.priority in f.priorities,
        f.completed is None or (task.status == "completed") == f.completed,
        f.search is None
        or f.search.casefold() in task.title.casefold()
        or (task.description is not None and f.search.casefold() in task.description.casefold()),
        f.due_after is None or (task.due_date is not None and task.due_date >= f.due_after),
        f.due_before is None or (task.due_date is not None and task.due_date < f.due_before),
        f.overdue is None or is_overdue(task, now) == f.overdue,
        f.tags is None or any(tag.casefold() in f.tags for tag in task.tags),
        f.remind_after is None or (task.remind_at is not None and task.remind_at >= f.remind_after),
        f.remind_before is None
        or (task.remind_at is not None and task.remind_at < f.remind_before),
    ]
    return all(checks)


def tag_counts(tasks: Iterable[Task]) -> list[tuple[str, int]]:
    """``GET .../tags``: tags equal but for case are one, spelled as on the latest-updated task."""
    counts: dict[str, int] = {}
    latest: dict[str, tuple[datetime, int, str]] = {}
    for task in tasks:
        for tag in task.tags:
            key = tag.casefold()
            counts[key] = counts.get(key, 0) + 1
            if key not in latest or (task.updated_at, task.id.int) > latest[key][:2]:
                latest[key] = (task.updated_at, task.id.int, tag)
    names = sorted((latest[key][2] for key in counts), key=lambda name: (name.casefold(), name))
    return [(name, counts[name.casefold()]) for name in names]


def _value(task: Task, sort: str) -> object:
    if sort == "priority":
        return PRIORITY_ORDER[task.priority.value]
    if sort == "status":
        return STATUS_ORDER[task.status.value]
    if sort == "title":
        return task.title.casefold()
    return getattr(task, sort)


def order(tasks: Iterable[Task], sort: SortField | str, descending: bool) -> list[Task]:
    """Sort value in the direction, then id in the same direction; no value goes last."""
    name = str(sort)

    def compare(a: Task, b: Task) -> int:
        va, vb = _value(a, name), _value(b, name)
        if va is None and vb is not None:
            return 1
        if vb is None and va is not None:
            return -1
        sign = -1 if descending else 1
        if va is not None and vb is not None and va != vb:
            return sign * (-1 if va < vb else 1)  # type: ignore[operator]
        if a.id == b.id:
            return 0
        return sign * (-1 if a.id.int < b.id.int else 1)

    return sorted(tasks, key=functools.cmp_to_key(compare))


def listing(
    tasks: Iterable[Task],
    task_filter: TaskFilter,
    sort: SortField | str,
    descending: bool,
    now: datetime,
) -> list[Task]:
    """Every matching task in the listing's order (all pages together)."""
    return order([t for t in tasks if matches(t, task_filter, now)], sort, descending)


def stats(tasks: Iterable[Task], now: datetime) -> TaskStats:
    """The counts of ``GET .../stats``."""
    items = list(tasks)

    def count(predicate: Callable[[Task], bool]) -> int:
        return sum(1 for t in items if predicate(t))

    return TaskStats(
        total=len(items),
        overdue=count(lambda t: is_overdue(t, now)),
        by_status={s: count(lambda t, s=s: t.status == s.value) for s in TaskStatus},  # type: ignore[misc]
        by_priority={p: count(lambda t, p=p: t.priority == p.value) for p in TaskPriority},  # type: ignore[misc]
        by_tag=dict(tag_counts(items)),
    )
