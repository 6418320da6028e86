"""``TaskRepository`` over SQLAlchemy Core statements, on its unit of work's connection.

Every method is one statement (a batch insert may be a few). Writes are
conditional on the version read (``UPDATE``/``DELETE ... WHERE version =``)
and nothing is read back after them. Each method tells the unit of work
whether it intends to write (``get(..., for_update=True)`` and the writes do),
which decides whether a transaction is needed (see ``unit_of_work``). The
repository never commits: its ``SqlUnitOfWork`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from todo_adapters.sql.errors import storage_errors
from todo_adapters.sql.listing import list_statement, stats_statement, storable
from todo_adapters.sql.mapper import task_from_values, values_from_task
from todo_adapters.sql.statements import (
    MUTABLE_COLUMNS,
    NEW_PREFIX,
    delete_statement,
    get_statement,
    insert_statement,
    match_parameters,
    update_statement,
)
from todo_core.errors import VersionConflict
from todo_core.model import Task
from todo_core.queries import Page, TaskQuery, TaskStats, page_from_rows


class SqlTaskRepository:
    """A user's tasks in the ``tasks`` table, through a unit of work's connection.

    ``connection_for(write)`` gives the connection to use; ``write`` is true
    for a call that will write or lock.
    """

    def __init__(self, connection_for: Callable[[bool], Connection]) -> None:
        self._connection_for = connection_for

    def add(self, task: Task) -> None:
        with storage_errors():
            connection = self._connection_for(True)
            statement = insert_statement(connection.dialect.name, returning_ids=False)
            result = connection.execute(statement, values_from_task(task))
        if result.rowcount != 1:
            raise ValueError(f"task {task.id} already exists")

    def add_many(self, tasks: Sequence[Task]) -> None:
        if not tasks:
            return
        with storage_errors():
            connection = self._connection_for(True)
            statement = insert_statement(connection.dialect.name, returning_ids=True)
            result = connection.execute(statement, [values_from_task(task) for task in tasks])
            inserted = set(result.scalars())
        missing = [task.id for task in tasks if task.id not in inserted]
        if missing:
            raise ValueError(f"task {missing[0]} already exists")

    def get(self, user_id: str, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        if not storable(user_id):
            return None
        with storage_errors():
            connection = self._connection_for(for_update)
            row = (
                connection.execute(
                    get_statement(for_update=for_update), match_parameters(user_id, task_id)
                )
                .mappings()
                .one_or_none()
            )
        return task_from_values(row) if row is not None else None

    def save(self, task: Task, *, previous_version: int) -> None:
        values = values_from_task(task)
        parameters = match_parameters(task.user_id, task.id, previous_version)
        parameters.update({NEW_PREFIX + name: values[name] for name in MUTABLE_COLUMNS})
        with storage_errors():
            result = self._connection_for(True).execute(update_statement(), parameters)
        if result.rowcount != 1:
            raise VersionConflict()

    def remove(self, task: Task) -> None:
        parameters = match_parameters(task.user_id, task.id, task.version)
        with storage_errors():
            result = self._connection_for(True).execute(delete_statement(), parameters)
        if result.rowcount != 1:
            raise VersionConflict()

    def list(self, query: TaskQuery) -> Page:
        listing = list_statement(query)
        if listing is None:
            return page_from_rows(query, [], 0)
        with storage_errors():
            connection = self._connection_for(False)
            rows = connection.execute(*listing).mappings().all()
        total = int(rows[0]["total"]) if rows else 0
        tasks = [task_from_values(row) for row in rows if row["id"] is not None]
        return page_from_rows(query, tasks, total)

    def stats(self, user_id: str, *, now: datetime) -> TaskStats:
        if not storable(user_id):
            return TaskStats(0, 0, 0, 0, 0, 0, 0, 0)
        with storage_errors():
            row = self._connection_for(False).execute(*stats_statement(user_id, now=now)).one()
        counts: dict[str, Any] = row._asdict()
        return TaskStats(
            total=int(counts["total"]),
            pending=int(counts["pending"]),
            in_progress=int(counts["in_progress"]),
            completed=int(counts["completed"]),
            overdue=int(counts["overdue"]),
            low=int(counts["low"]),
            medium=int(counts["medium"]),
            high=int(counts["high"]),
        )
