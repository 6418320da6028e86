"""``TaskRepository`` over SQLAlchemy Core statements, run by its unit of work.

Every method is one statement (a batch insert may be a few). Writes are
conditional on the version read (``UPDATE``/``DELETE ... WHERE version =``)
and nothing is read back after them; each carries the check of its row count,
which the unit of work runs when the statement is actually sent (a lone
write is held back until commit, see ``unit_of_work``). The repository never
commits: its ``SqlUnitOfWork`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import CursorResult, Executable

from todo_adapters.sql.listing import storable
from todo_adapters.sql.mapper import tag_values, task_from_values, values_from_task
from todo_adapters.sql.statements import (
    MUTABLE_COLUMNS,
    NEW_PREFIX,
    delete_statement,
    delete_tags_statement,
    get_statement,
    insert_statement,
    insert_tags_statement,
    match_parameters,
    update_statement,
)
from todo_core.errors import VersionConflict
from todo_core.model import Task

#: Inspects a write's result when it is sent; raises if the write did not do its job.
Check = Callable[[CursorResult[Any]], None]


class StatementRunner(Protocol):
    """What the repository needs of its unit of work."""

    @property
    def dialect_name(self) -> str: ...

    def read(
        self, statement: Executable, parameters: Mapping[str, Any], *, lock: bool = False
    ) -> CursorResult[Any]: ...

    def write(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        check: Check,
        alone: bool = True,
    ) -> None: ...


def _one_row_or_conflict(result: CursorResult[Any]) -> None:
    if result.rowcount != 1:
        raise VersionConflict()


def _any_result(_result: CursorResult[Any]) -> None:
    """A write whose row count says nothing (the rows of a task's tags)."""


def _inserted(task_ids: Sequence[uuid.UUID]) -> Check:
    """Every id went in (``ON CONFLICT DO NOTHING`` skips a duplicate instead of failing)."""

    def check(result: CursorResult[Any]) -> None:
        if result.returns_rows:
            inserted = set(result.scalars())
            missing = [task_id for task_id in task_ids if task_id not in inserted]
        else:
            missing = [] if result.rowcount == len(task_ids) else list(task_ids)
        if missing:
            raise ValueError(f"task {missing[0]} already exists")

    return check


class SqlTaskRepository:
    """A user's tasks in the ``tasks`` table, through a unit of work's statements."""

    def __init__(self, runner: StatementRunner) -> None:
        self._runner = runner
        # Tags as read, so that a save rewrites the tag rows only when they changed.
        self._read_tags: dict[uuid.UUID, tuple[str, ...]] = {}

    def add(self, task: Task) -> None:
        statement = insert_statement(self._runner.dialect_name, returning_ids=False)
        self._runner.write(statement, values_from_task(task), check=_inserted([task.id]))
        self._add_tags([task])

    def add_many(self, tasks: Sequence[Task]) -> None:
        if not tasks:
            return
        statement = insert_statement(self._runner.dialect_name, returning_ids=True)
        self._runner.write(
            statement,
            [values_from_task(task) for task in tasks],
            check=_inserted([task.id for task in tasks]),
            alone=False,
        )
        self._add_tags(tasks)

    def get(self, user_id: str, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        if not storable(user_id):
            return None
        result = self._runner.read(
            get_statement(for_update=for_update),
            match_parameters(user_id, task_id),
            lock=for_update,
        )
        row = result.mappings().one_or_none()
        if row is None:
            return None
        task = task_from_values(row)
        self._read_tags[task.id] = task.tags
        return task

    def save(self, task: Task, *, previous_version: int) -> None:
        values = values_from_task(task)
        parameters = match_parameters(task.user_id, task.id, previous_version)
        parameters.update({NEW_PREFIX + name: values[name] for name in MUTABLE_COLUMNS})
        self._runner.write(update_statement(), parameters, check=_one_row_or_conflict)
        if self._read_tags.get(task.id) != task.tags:
            match = match_parameters(task.user_id, task.id)
            self._runner.write(delete_tags_statement(), match, check=_any_result)
            self._add_tags([task])
            self._read_tags[task.id] = task.tags

    def _add_tags(self, tasks: Sequence[Task]) -> None:
        rows = tag_values(tasks)
        if rows:
            self._runner.write(insert_tags_statement(), rows, check=_any_result, alone=False)

    def remove(self, task: Task) -> None:
        parameters = match_parameters(task.user_id, task.id, task.version)
        self._runner.write(delete_statement(), parameters, check=_one_row_or_conflict)
