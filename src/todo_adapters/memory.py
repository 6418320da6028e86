"""In-memory implementations of the ports: a product feature for tests and scripts.

The store keeps copies, so a task changed but never saved stays unchanged, as
it would in a database. A unit of work holds the store's lock from start to
end (transactions are serialised) and undoes its writes unless committed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self, TypeVar

from todo_core.changes import ChangeBatch, ChangeEntry
from todo_core.edits import TaskChanges, apply_changes, plain_fields
from todo_core.errors import TaskLimitReached, VersionConflict
from todo_core.idempotency import IdempotencyKeyTaken, Remembered
from todo_core.model import Task
from todo_core.ports import Patched
from todo_core.queries import Page, TagCount, TaskQuery, TaskStats, page_from_rows, tag_counts

TaskKey = uuid.UUID
_K = TypeVar("_K")
_V = TypeVar("_V")


class InMemoryStore:
    """The shared data of every unit of work built on it, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[TaskKey, Task] = {}
        # The changes feed (todo_core.changes): each user's clock, the highest
        # number pruned, and each task's last change (number, owner, deletion time).
        self.clocks: dict[str, int] = {}
        self.pruned: dict[str, int] = {}
        self.changes: dict[TaskKey, tuple[int, str, datetime | None]] = {}
        # How many tasks each user has (the quota, ``TaskRepository.add``'s ``limit``).
        self.task_counts: dict[str, int] = {}
        # Idempotency keys by (user, key).
        self.keys: dict[tuple[str, str], Remembered] = {}


class InMemoryTaskRepository:
    """``TaskRepository`` over a dict, recording undo steps for its unit of work."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._undo: list[Callable[[], None]] = []

    def add(self, task: Task, *, limit: int | None = None) -> None:
        key = task.id
        if key in self._store.tasks:
            raise ValueError(f"task {task.id} already exists")
        # The unit of work holds the store's lock: the count cannot move under us.
        if limit is not None and self._store.task_counts.get(task.user_id, 0) >= limit:
            raise TaskLimitReached()
        self._write(key, task.copy())

    def add_many(self, tasks: Sequence[Task], *, limit: int | None = None) -> None:
        for task in tasks:
            self.add(task, limit=limit)

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

    def patch(
        self,
        user_id: str,
        task_id: uuid.UUID,
        changes: TaskChanges,
        *,
        now: datetime,
        expected_version: int | None = None,
    ) -> Patched:
        if not plain_fields(changes):
            raise ValueError("not a patch of plain fields")
        patched = Patched()
        task = self.get(user_id, task_id)
        if task is None or expected_version not in (None, task.version):
            patched.settle(None)
            return patched
        previous_version = task.version
        if apply_changes(task, changes, now=now):
            self.save(task, previous_version=previous_version)
            patched.settle(task)
        else:
            patched.settle(None)
        return patched

    def remove(self, task: Task, *, deleted_at: datetime | None = None) -> None:
        key = task.id
        stored = self._store.tasks.get(key)
        if stored is None or stored.user_id != task.user_id or stored.version != task.version:
            raise VersionConflict()
        self._write(key, None, user_id=task.user_id, deleted_at=deleted_at or datetime.now(UTC))

    def prune_tombstones(self, *, before: datetime) -> None:
        store = self._store
        for key, (seq, user_id, deleted_at) in list(store.changes.items()):
            if deleted_at is not None and deleted_at < before:
                self._set(store.changes, key, None)
                if seq > store.pruned.get(user_id, 0):
                    self._set(store.pruned, user_id, seq)

    def remember(self, user_id: str, remembered: Remembered, *, expired_before: datetime) -> None:
        stored = self._store.keys.get((user_id, remembered.key))
        if stored is not None and stored.created_at >= expired_before:
            raise IdempotencyKeyTaken()
        self._set(self._store.keys, (user_id, remembered.key), remembered)

    def prune_keys(self, *, before: datetime) -> None:
        for key, stored in list(self._store.keys.items()):
            if stored.created_at < before:
                self._set(self._store.keys, key, None)

    def undo(self) -> None:
        """Put back everything this repository wrote, newest first."""
        for step in reversed(self._undo):
            step()
        self._undo.clear()

    def forget_undo(self) -> None:
        """Keep the writes made so far (they were committed)."""
        self._undo.clear()

    def _write(
        self,
        key: TaskKey,
        task: Task | None,
        *,
        user_id: str | None = None,
        deleted_at: datetime | None = None,
    ) -> None:
        """Write the task (or delete it), then stamp it with the owner's next change number."""
        store = self._store
        existed = key in store.tasks
        self._set(store.tasks, key, task)
        owner = task.user_id if task is not None else user_id
        assert owner is not None
        if existed != (task is not None):
            count = store.task_counts.get(owner, 0) + (1 if task is not None else -1)
            self._set(store.task_counts, owner, count)
        seq = store.clocks.get(owner, 0) + 1
        self._set(store.clocks, owner, seq)
        self._set(store.changes, key, (seq, owner, None if task is not None else deleted_at))

    def _set(self, mapping: dict[_K, _V], key: _K, value: _V | None) -> None:
        """Set (or, with ``None``, delete) one entry, recording how to undo it."""
        had, previous = key in mapping, mapping.get(key)

        def undo() -> None:
            if had:
                mapping[key] = previous  # type: ignore[assignment]
            else:
                mapping.pop(key, None)

        self._undo.append(undo)
        if value is None:
            mapping.pop(key, None)
        else:
            mapping[key] = value


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

    def changes(
        self, user_id: str, *, after: int, limit: int, include_deleted: bool
    ) -> ChangeBatch:
        store = self._store
        found = sorted(
            (seq, key, deleted_at)
            for key, (seq, owner, deleted_at) in store.changes.items()
            if owner == user_id and seq > after and (include_deleted or deleted_at is None)
        )
        entries = []
        for seq, key, deleted_at in found[: limit + 1]:
            task = store.tasks.get(key) if deleted_at is None else None
            entries.append(
                ChangeEntry(seq, key, task.copy() if task is not None else None, deleted_at)
            )
        return ChangeBatch(
            tuple(entries), store.clocks.get(user_id, 0), store.pruned.get(user_id, 0)
        )

    def change_mark(self, user_id: str) -> int:
        return self._store.clocks.get(user_id, 0)

    def recall(self, user_id: str, key: str) -> Remembered | None:
        return self._store.keys.get((user_id, key))

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
