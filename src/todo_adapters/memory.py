"""In-memory implementations of the ports: a product feature for tests and scripts.

The store keeps copies, so a task changed but never saved stays unchanged, as
it would in a database. A unit of work holds the store's lock from start to
end (transactions are serialised) and undoes its writes unless committed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from todo_core.errors import VersionConflict
from todo_core.model import Task
from todo_core.queries import Page, TagCount, TaskQuery, TaskStats, page_from_rows, tag_counts

TaskKey = uuid.UUID


class InMemoryStore:
    """The shared data of every unit of work built on it, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[TaskKey, Task] = {}


class InMemoryTaskRepository:
    """``TaskRepository`` over a dict, recording undo steps for its unit of work."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._undo: list[tuple[TaskKey, Task | None]] = []

    def add(self, task: Task) -> None:
        key = task.id
        if key in self._store.tasks:
            raise ValueError(f"task {task.id} already exists")
        self._write(key, task.copy())

    def add_many(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            self.add(task)

    def get(self, user_id: str, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        stored = self._store.tasks.get(task_id)
        if stored is None or stored.user_id != user_id:
            return None
        return stored.copy()

    def save(self, task: Task, *, previous_version: int) -> None:
        key = task.id
        stored = self._store.tasks.get(key)
        if stored is None or stored.user_id != task.user_id or stored.version != previous_version:
            raise VersionConflict()
        self._write(key, task.copy())

    def remove(self, task: Task) -> None:
        key = task.id
        stored = self._store.tasks.get(key)
        if stored is None or stored.user_id != task.user_id or stored.version != task.version:
            raise VersionConflict()
        self._write(key, None)

    def undo(self) -> None:
        """Put back everything this repository wrote, newest first."""
        for key, previous in reversed(self._undo):
            if previous is None:
                self._store.tasks.pop(key, None)
            else:
                self._store.tasks[key] = previous
        self._undo.clear()

    def forget_undo(self) -> None:
        """Keep the writes made so far (they were committed)."""
        self._undo.clear()

    def _write(self, key: TaskKey, task: Task | None) -> None:
        self._undo.append((key, self._store.tasks.get(key)))
        if task is None:
            del self._store.tasks[key]
        else:
            self._store.tasks[key] = task


class InMemoryTaskReader:
    """``TaskReader`` over the same dict: the reference semantics of every listing."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def list(self, query: TaskQuery) -> Page:
        matching = [
            task
            for task in self._store.tasks.values()
            if task.user_id == query.user_id and query.filter.matches(task, now=query.now)
        ]
        ordered = query.order(matching)
        if query.after is not None:
            position = query.after
            ordered = [task for task in ordered if query.is_after(task, position)]
        window = ordered[query.offset : query.offset + query.limit + 1]
        return page_from_rows(query, [task.copy() for task in window], len(matching))

    def stats(self, user_id: str, *, now: datetime) -> TaskStats:
        return TaskStats.of(self._owned_by(user_id), now=now)

    def tags(self, user_id: str) -> tuple[TagCount, ...]:
        return tag_counts(self._owned_by(user_id))

    def _owned_by(self, user_id: str) -> tuple[Task, ...]:
        return tuple(task for task in self._store.tasks.values() if task.user_id == user_id)


class InMemoryUnitOfWork:
    """``UnitOfWork`` over an ``InMemoryStore``: serialised, rolled back unless committed."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.tasks = InMemoryTaskRepository(store)
        self.reader = InMemoryTaskReader(store)

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        self.tasks.forget_undo()

    def rollback(self) -> None:
        self.tasks.undo()
