"""The ports the use cases drive: where tasks are kept, and the transaction around them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from todo_core.changes import ChangeBatch
from todo_core.edits import TaskChanges
from todo_core.idempotency import Remembered
from todo_core.model import Task
from todo_core.queries import Page, TagCount, TaskQuery, TaskStats


class Patched:
    """What ``TaskRepository.patch`` wrote: settled by the adapter, at the latest on commit."""

    __slots__ = ("_settled", "_task")

    def __init__(self) -> None:
        self._settled = False
        self._task: Task | None = None

    def settle(self, task: Task | None) -> None:
        """Record the task as written (``None``: nothing was)."""
        self._settled, self._task = True, task

    @property
    def task(self) -> Task | None:
        """The task as written, or ``None``; only once settled (after ``commit``)."""
        if not self._settled:
            raise RuntimeError("a patch is known only once its unit of work has committed")
        return self._task


class TaskRepository(Protocol):
    """The writer: a user's tasks one by one. Every method is scoped to one owner."""

    def add(self, task: Task, *, limit: int | None = None) -> None:
        """Store a new task; ``TaskLimitReached`` (nothing stored) if its owner has ``limit``.

        The storage decides atomically: concurrent adds never leave more than ``limit``.
        """

    def add_many(self, tasks: Sequence[Task], *, limit: int | None = None) -> None:
        """Store many new tasks at once (batched where the storage allows), ``limit`` as above."""

    def get(self, user_id: str, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        """A copy of the owner's task, or ``None``; ``for_update`` locks it until commit."""

    def save(self, task: Task, *, previous_version: int) -> None:
        """Write back a changed task if it is still at ``previous_version``.

        Raises ``VersionConflict`` if another write got there first, so updates
        cannot lose each other: at once, or at the latest from ``commit`` (an
        adapter may hold a unit's only write back and send it with the commit).
        """

    def patch(
        self,
        user_id: str,
        task_id: uuid.UUID,
        changes: TaskChanges,
        *,
        now: datetime,
        expected_version: int | None = None,
    ) -> Patched:
        """Write a plain patch (``edits.plain_fields``, already cleaned) without a read first.

        Only if the owner's task exists, is at ``expected_version`` (when given)
        and one of the patched fields differs: the version then goes up by one,
        ``updated_at`` becomes ``now`` and the change is stamped, atomically
        (one statement where the storage allows). What it wrote is known from
        ``commit`` at the latest (an adapter may hold the write back until
        then, as ``save``): the task as stored, or ``None`` when nothing was
        written, and the caller's general path (read, check, save) finds out why.
        """

    def remove(self, task: Task, *, deleted_at: datetime | None = None) -> None:
        """Delete the task if still at ``task.version`` (else ``VersionConflict``, as ``save``).

        Leaves a tombstone for the changes feed, dated ``deleted_at`` (now if ``None``).
        Every write (``add``, ``add_many``, ``save``, ``patch``, ``remove``) also takes the
        next numbers of the owner's change clock in the same transaction and stamps
        the tasks it touched with them (``todo_core.changes``).
        """

    def prune_tombstones(self, *, before: datetime) -> None:
        """Forget tombstones older than ``before`` (every user), remembering the numbers pruned."""

    def remember(self, user_id: str, remembered: Remembered, *, expired_before: datetime) -> None:
        """Store an idempotency key with its request and response, in this unit's transaction.

        A key of the user already stored (and not older than ``expired_before``)
        raises ``IdempotencyKeyTaken``, at once or at the latest from ``commit``;
        so does a key another unit of work stored and has not yet committed or
        rolled back, without waiting for it where units run concurrently (an
        adapter that serialises its writers, as SQLite and memory do, never
        has one).
        """

    def prune_keys(self, *, before: datetime) -> None:
        """Forget idempotency keys stored before ``before`` (every user)."""


class TaskReader(Protocol):
    """The reader: questions over many of a user's tasks. Scoped to one owner too."""

    def list(self, query: TaskQuery) -> Page:
        """One page of tasks in the query's order, with the total count and next cursor."""

    def stats(self, user_id: str, *, now: datetime) -> TaskStats:
        """Counts over every task of the owner."""

    def tags(self, user_id: str) -> tuple[TagCount, ...]:
        """Every tag the owner's tasks carry with its count (``queries.tag_counts``)."""

    def changes(
        self, user_id: str, *, after: int, limit: int, include_deleted: bool
    ) -> ChangeBatch:
        """Up to ``limit + 1`` last changes numbered above ``after``, ascending, in one snapshot."""

    def change_mark(self, user_id: str) -> int:
        """The owner's change clock (0 before any write): one cheap read, for long polls."""

    def recall(self, user_id: str, key: str) -> Remembered | None:
        """The owner's stored idempotency key, if any (committed)."""


class UnitOfWork(Protocol):
    """One transaction: changes are kept only if ``commit`` is called before exit."""

    @property
    def tasks(self) -> TaskRepository:
        """The writer bound to this unit's transaction."""

    @property
    def reader(self) -> TaskReader:
        """The reader on this unit's connection (reads open no transaction where they may)."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make this unit's changes durable; may raise what a held-back write raises."""

    def rollback(self) -> None:
        """Discard this unit's changes."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """One request counted against its user's rate: allowed or not, and the window's state."""

    allowed: bool
    limit: int
    remaining: int
    #: Whole seconds until the window frees up (at least 1 when refused).
    reset_after: int


class RateLimiter(Protocol):
    """Counts each user's requests (``RATE_LIMIT``); implemented with a library in an adapter."""

    async def hit(self, user_id: str) -> RateDecision | None:
        """Count one request of ``user_id``; ``None`` when it could not be counted (fail open)."""
