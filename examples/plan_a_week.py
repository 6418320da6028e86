"""Use the task domain from a plain script: no HTTP, no database server.

Run it with ``.venv/bin/python examples/plan_a_week.py``. Pass a database URL
(``sqlite:///week.db`` or ``postgresql://...``) to keep the tasks there instead
of in memory.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import SortField, TaskFilter
from todo_core.services import ListRequest, TaskService, UnitOfWorkFactory


def unit_of_work_factory(url: str | None) -> UnitOfWorkFactory:
    """In memory by default; the SQL adapter when a database URL is given."""
    if url is None:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
    from todo_adapters.sql import (  # noqa: PLC0415 - only needed with a URL
        SqlUnitOfWork,
        make_engine,
        upgrade_database,
    )

    upgrade_database(url)
    engine = make_engine(url)
    return lambda: SqlUnitOfWork(engine)


def main(url: str | None = None) -> None:
    service = TaskService(uow_factory=unit_of_work_factory(url))
    me = "script-user"
    monday = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)

    for day, title in enumerate(["Plan the sprint", "Review pull requests", "Write the report"]):
        service.create(
            actor=me,
            draft=TaskDraft(
                title=title,
                priority=TaskPriority.HIGH if day == 2 else TaskPriority.MEDIUM,
                due_date=monday + timedelta(days=day),
            ),
        )

    soonest = service.list(
        actor=me, request=ListRequest(sort=SortField.DUE_DATE, filter=TaskFilter(completed=False))
    )
    first = soonest.items[0]
    service.update(actor=me, task_id=first.id, changes=TaskChanges(completed=True))

    stats = service.stats(actor=me)
    done, to_go = stats.by_status[TaskStatus.COMPLETED], stats.by_status[TaskStatus.PENDING]
    print(f"{stats.total} tasks, {done} done, {to_go} to go")
    for task in service.list(actor=me, request=ListRequest(sort=SortField.DUE_DATE)).items:
        mark = "x" if task.completed else " "
        print(f"[{mark}] {task.due_date:%a %d %b}  {task.title} ({task.priority})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
