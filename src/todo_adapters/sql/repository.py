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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import CursorResult, Delete, Executable, Insert, Select, Update

from todo_adapters.sql.changes import (
    DELETED_AT,
    TASK_LIMIT,
    created_statement,
    mark_pruned_statement,
    prune_keys_statement,
    prune_statement,
    remember_statement,
    reserve_statement,
    row_stamped_statement,
    stamp_statement,
    stamped_statement,
    take_numbers_statement,
)
from todo_adapters.sql.listing import storable
from todo_adapters.sql.mapper import (
    patch_values,
    tag_values,
    task_from_values,
    values_from_task,
)
from todo_adapters.sql.outcome import Outcome
from todo_adapters.sql.statements import (
    MUTABLE_COLUMNS,
    NEW_PREFIX,
    delete_statement,
    delete_tags_statement,
    get_statement,
    insert_statement,
    insert_tags_statement,
    match_parameters,
    patch_statement,
    update_statement,
)
from todo_core.edits import TaskChanges, plain_fields
from todo_core.errors import TaskLimitReached, VersionConflict
from todo_core.idempotency import IdempotencyKeyTaken, Remembered
from todo_core.model import Task
from todo_core.ports import Patched

#: Inspects a write's result when it is sent; raises if the write did not do its job.
Check = Callable[[Outcome], None]


class StatementRunner(Protocol):
    """What the repository needs of its unit of work."""

    @property
    def dialect_name(self) -> str: ...

    def read(
        self, statement: Executable, parameters: Mapping[str, Any], *, lock: bool = False
    ) -> CursorResult[Any]: ...

    def read_row(
        self, statement: Select[Any], parameters: Mapping[str, Any], *, lock: bool = False
    ) -> Mapping[Any, Any] | None: ...

    def read_rows(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> Sequence[Mapping[Any, Any]]: ...

    def write(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        check: Check,
        alone: bool = True,
    ) -> None: ...


def _one_row_or_conflict(result: Outcome) -> None:
    if result.rowcount != 1:
        raise VersionConflict()


def _key_stored(result: Outcome) -> None:
    if result.rowcount != 1:
        raise IdempotencyKeyTaken()


def _created(result: Outcome) -> None:
    """PostgreSQL's one-statement create: 0 rows means the quota refused it."""
    if result.rowcount != 1:
        raise TaskLimitReached()


def _reserved(limit: int) -> Check:
    """The quota's counter moved and stays within ``limit``."""

    def check(result: Outcome) -> None:
        count = result.scalar_one_or_none()
        if count is None or count > limit:
            raise TaskLimitReached()

    return check


#: The limit used when none is given: larger than any count.
NO_LIMIT = 2**62


def _any_result(_result: Outcome) -> None:
    """A write whose row count says nothing (the rows of a task's tags)."""


def _inserted(task_ids: Sequence[uuid.UUID]) -> Check:
    """Every id went in (``ON CONFLICT DO NOTHING`` skips a duplicate instead of failing)."""

    def check(result: Outcome) -> None:
        if result.returned_rows:
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

    def add(self, task: Task, *, limit: int | None = None) -> None:
        limit = NO_LIMIT if limit is None else limit
        values = values_from_task(task)
        if self._runner.dialect_name == "postgresql":
            # One statement: quota, insert and change stamp (``changes.created_statement``).
            self._runner.write(created_statement(), {**values, TASK_LIMIT: limit}, check=_created)
        else:
            self._reserve(task.user_id, 1, limit)
            statement = insert_statement(self._runner.dialect_name, returning_ids=False)
            self._runner.write(statement, values, check=_inserted([task.id]))
            self._stamp(task.user_id, [(task.id, None)])
        self._add_tags([task])

    def add_many(self, tasks: Sequence[Task], *, limit: int | None = None) -> None:
        if not tasks:
            return
        limit = NO_LIMIT if limit is None else limit
        for user_id, count in Counter(task.user_id for task in tasks).items():
            self._reserve(user_id, count, limit)
        statement = insert_statement(self._runner.dialect_name, returning_ids=True)
        self._runner.write(
            statement,
            [values_from_task(task) for task in tasks],
            check=_inserted([task.id for task in tasks]),
            alone=False,
        )
        self._add_tags(tasks)
        for user_id in dict.fromkeys(task.user_id for task in tasks):
            self._stamp(user_id, [(task.id, None) for task in tasks if task.user_id == user_id])

    def get(self, user_id: str, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        if not storable(user_id):
            return None
        row = self._runner.read_row(
            get_statement(for_update=for_update),
            match_parameters(user_id, task_id),
            lock=for_update,
        )
        if row is None:
            return None
        task = task_from_values(row)
        self._read_tags[task.id] = task.tags
        return task

    def save(self, task: Task, *, previous_version: int) -> None:
        values = values_from_task(task)
        parameters = match_parameters(task.user_id, task.id, previous_version)
        parameters.update({NEW_PREFIX + name: values[name] for name in MUTABLE_COLUMNS})
        self._write_stamped(
            update_statement(), parameters, _one_row_or_conflict, task.user_id, task.id
        )
        if self._read_tags.get(task.id) != task.tags:
            match = match_parameters(task.user_id, task.id)
            self._runner.write(delete_tags_statement(), match, check=_any_result)
            self._add_tags([task])
            self._read_tags[task.id] = task.tags

    def patch(
        self,
        user_id: str,
        task_id: uuid.UUID,
        changes: TaskChanges,
        *,
        now: datetime,
        expected_version: int | None = None,
    ) -> Patched:
        """PostgreSQL: one statement, held back as any lone write; SQLite: the ``UPDATE
        ... RETURNING`` in the unit's transaction, then the stamp if it wrote."""
        fields = plain_fields(changes)
        if not fields:
            raise ValueError("not a patch of plain fields")
        patched = Patched()
        if not storable(user_id):
            patched.settle(None)
            return patched
        values = patch_values(changes, now)
        statement = patch_statement(frozenset(values), fields, checked=expected_version is not None)
        parameters = match_parameters(user_id, task_id, expected_version)
        parameters.update({NEW_PREFIX + name: value for name, value in values.items()})

        def settle(result: Outcome) -> None:
            row = result.one_or_none()
            task = None if row is None else task_from_values(row)
            if task is not None:
                self._read_tags[task.id] = task.tags
            patched.settle(task)

        if self._runner.dialect_name == "postgresql":
            parameters[DELETED_AT] = None
            self._runner.write(row_stamped_statement(statement), parameters, check=settle)
        else:
            self._runner.write(statement, parameters, check=settle, alone=False)
            if patched.task is not None:
                self._stamp(user_id, [(task_id, None)])
        return patched

    def _add_tags(self, tasks: Sequence[Task]) -> None:
        rows = tag_values(tasks)
        if rows:
            self._runner.write(insert_tags_statement(), rows, check=_any_result, alone=False)

    def remove(self, task: Task, *, deleted_at: datetime | None = None) -> None:
        parameters = match_parameters(task.user_id, task.id, task.version)
        self._write_stamped(
            delete_statement(),
            parameters,
            _one_row_or_conflict,
            task.user_id,
            task.id,
            deleted_at=deleted_at or datetime.now(UTC),
            removed=1,
        )

    def _reserve(self, user_id: str, count: int, limit: int) -> None:
        """Count ``count`` more tasks for the user, or ``TaskLimitReached`` (in a transaction)."""
        parameters = {"user_id": user_id, "count": count, TASK_LIMIT: limit}
        statement = reserve_statement(self._runner.dialect_name)
        self._runner.write(statement, parameters, check=_reserved(limit), alone=False)

    def prune_tombstones(self, *, before: datetime) -> None:
        parameters = {"before": before}
        self._runner.write(mark_pruned_statement(), parameters, check=_any_result, alone=False)
        self._runner.write(prune_statement(), parameters, check=_any_result, alone=False)

    def remember(self, user_id: str, remembered: Remembered, *, expired_before: datetime) -> None:
        response = remembered.response
        parameters = {
            "user_id": user_id,
            "key": remembered.key,
            "fingerprint": remembered.fingerprint,
            "status": response.status,
            "body": response.body,
            "headers": [list(pair) for pair in response.headers],
            "created_at": remembered.created_at,
            "expired_before": expired_before,
        }
        statement = remember_statement(self._runner.dialect_name)
        self._runner.write(statement, parameters, check=_key_stored)

    def prune_keys(self, *, before: datetime) -> None:
        self._runner.write(prune_keys_statement(), {"before": before}, check=_any_result)

    def _write_stamped(
        self,
        statement: Insert | Update | Delete,
        parameters: dict[str, Any],
        check: Check,
        user_id: str,
        task_id: uuid.UUID,
        *,
        deleted_at: datetime | None = None,
        removed: int = 0,
    ) -> None:
        """One task's write with its change stamp: one statement on PostgreSQL, else three."""
        if self._runner.dialect_name == "postgresql":
            stamped = stamped_statement(statement, removed=removed)
            self._runner.write(stamped, {**parameters, DELETED_AT: deleted_at}, check=check)
            return
        self._runner.write(statement, parameters, check=check)
        self._stamp(user_id, [(task_id, deleted_at)], removed=removed)

    def _stamp(
        self,
        user_id: str,
        touched: Sequence[tuple[uuid.UUID, datetime | None]],
        *,
        removed: int = 0,
    ) -> None:
        """Take the owner's next numbers (locking its clock to commit), stamp each task.

        The last step of every write (see ``todo_adapters.sql.changes``); never
        held back, since the stamps need the numbers it returns.
        """
        taken: list[int] = []

        def numbers(result: Outcome) -> None:
            taken.append(int(result.scalar_one_or_none()))

        dialect = self._runner.dialect_name
        parameters = {"user_id": user_id, "count": len(touched), "removed": removed}
        self._runner.write(take_numbers_statement(dialect), parameters, check=numbers, alone=False)
        first = taken[0] - len(touched) + 1
        rows = [
            {"user_id": user_id, "task_id": task_id, "seq": first + index, "deleted_at": moment}
            for index, (task_id, moment) in enumerate(touched)
        ]
        self._runner.write(stamp_statement(dialect), rows, check=_any_result, alone=False)
