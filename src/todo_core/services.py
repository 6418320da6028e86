"""The use cases. Each opens a unit of work, makes one domain call, commits, returns.

Every use case takes the acting user (``actor``, the token's subject) and
optionally the owner of the collection addressed (``owner``, the path's user
id). Acting on another user's collection is ``AccessDenied``; another user's
task is indistinguishable from a missing one (``TaskNotFound``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from todo_core.changes import (
    DEFAULT_CHANGES_LIMIT,
    DEFAULT_RETENTION_DAYS,
    ChangeFeed,
    Tombstone,
    check_limit,
    decode_token,
    encode_token,
)
from todo_core.edits import (
    TaskChanges,
    TaskDraft,
    apply_changes,
    apply_completion,
    new_task,
    next_occurrence,
    plain_fields,
    validate_changes,
)
from todo_core.errors import (
    AccessDenied,
    InvalidInput,
    SyncTokenExpired,
    TaskNotFound,
    VersionConflict,
)
from todo_core.idempotency import (
    KEY_LIFETIME,
    IdempotencyInProgress,
    IdempotencyKeyTaken,
    Once,
    Outcome,
    Remembered,
    key_reused,
)
from todo_core.model import Task
from todo_core.ports import TaskRepository, UnitOfWork
from todo_core.queries import (
    DEFAULT_LIMIT,
    Page,
    SortField,
    TagCount,
    TaskFilter,
    TaskQuery,
    TaskStats,
    decode_cursor,
)
from todo_core.recurrence import OccurrenceCalculator

Clock = Callable[[], datetime]
UnitOfWorkFactory = Callable[[], UnitOfWork]
#: A domain entry point that changes a task in place and says whether anything changed.
Change = Callable[[Task, datetime], bool]

#: How many tasks one user may keep (``MAX_TASKS_PER_USER``); a create beyond is refused.
DEFAULT_MAX_TASKS_PER_USER = 10_000

#: Bulk imports write this many tasks per statement.
IMPORT_BATCH_SIZE = 500
#: A worker prunes old tombstones at most this often (after a delete).
PRUNE_INTERVAL = timedelta(minutes=10)

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def authorize(actor: str, owner: str | None) -> str:
    """The owner acted upon: the actor's own collection, and no one else's."""
    if owner is not None and owner != actor:
        raise AccessDenied()
    return actor


def check_version(task: Task, expected_version: int | None) -> None:
    """A conditional write must name the current version."""
    if expected_version is not None and task.version != expected_version:
        raise VersionConflict()


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: the task as it now stands, and any task the write created."""

    task: Task
    created: tuple[Task, ...] = ()


@dataclass(slots=True)
class OnceSlot:
    """An idempotent write's key, and the outcome its (last) attempt remembered."""

    once: Once
    outcome: Outcome | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListRequest:
    """A listing as a client asks for it: cursor still opaque, direction optional."""

    filter: TaskFilter = field(default_factory=TaskFilter)
    sort: SortField = SortField.CREATED_AT
    descending: bool | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None


class TaskService:
    """Create, read, list, change, complete and delete a user's tasks."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock = utc_now,
        id_factory: Callable[[], uuid.UUID] = uuid.uuid4,
        occurrences: OccurrenceCalculator | None = None,
        retention: timedelta = timedelta(days=DEFAULT_RETENTION_DAYS),
        max_tasks_per_user: int | None = DEFAULT_MAX_TASKS_PER_USER,
    ) -> None:
        if max_tasks_per_user is not None and max_tasks_per_user < 1:
            raise ValueError("max_tasks_per_user must be at least 1")
        self._uow_factory = uow_factory
        self._clock = clock
        self._new_id = id_factory
        self._occurrences = occurrences
        self._retention = retention
        self._limit = max_tasks_per_user
        self._pruned_at: datetime | None = None
        self._prune_lock = threading.Lock()

    def create(self, *, actor: str, draft: TaskDraft, owner: str | None = None) -> Task:
        """Add a task to the actor's collection."""
        user_id = authorize(actor, owner)
        task = new_task(draft, user_id=user_id, now=self._clock(), task_id=self._new_id())
        with self._uow_factory() as uow:
            uow.tasks.add(task, limit=self._limit)
            uow.commit()
        return task

    def create_once(
        self, *, actor: str, draft: TaskDraft, once: Once, owner: str | None = None
    ) -> Outcome:
        """``create`` under an idempotency key: the key and the task are stored together."""
        user_id = authorize(actor, owner)
        now = self._clock()
        task = new_task(draft, user_id=user_id, now=now, task_id=self._new_id())

        def run() -> Outcome:
            with self._uow_factory() as uow:
                outcome = self._remember(uow.tasks, user_id, once, Written(task), now)
                uow.tasks.add(task, limit=self._limit)
                uow.commit()
            return outcome

        outcome = self._once(user_id, once, run)
        self._maybe_prune()
        return outcome

    def set_completed_once(
        self,
        *,
        actor: str,
        task_id: uuid.UUID,
        once: Once,
        completed: bool | None = None,
        owner: str | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """``set_completed`` under an idempotency key: a retried toggle never flips back."""
        user_id = authorize(actor, owner)

        def change(task: Task, now: datetime) -> bool:
            return apply_completion(task, completed, now=now)

        slot = OnceSlot(once)

        def run() -> Outcome:
            self._write(user_id, task_id, expected_version, change, once=slot)
            assert slot.outcome is not None
            return slot.outcome

        result = self._once(user_id, once, run)
        self._maybe_prune()
        return result

    def _remember(
        self, tasks: TaskRepository, user_id: str, once: Once, written: Written, now: datetime
    ) -> Outcome:
        response = once.respond(written)
        remembered = Remembered(once.key, once.fingerprint, response, now)
        tasks.remember(user_id, remembered, expired_before=now - KEY_LIFETIME)
        return Outcome(response, replayed=False)

    def _once(self, user_id: str, once: Once, run: Callable[[], Outcome]) -> Outcome:
        """Run the write; if the key is taken, replay its response (or refuse)."""
        try:
            return run()
        except IdempotencyKeyTaken:
            pass
        with self._uow_factory() as uow:
            stored = uow.reader.recall(user_id, once.key)
        if stored is None or stored.created_at < self._clock() - KEY_LIFETIME:
            raise IdempotencyInProgress()
        if stored.fingerprint != once.fingerprint:
            raise key_reused()
        return Outcome(stored.response, replayed=True)

    def create_many(
        self,
        *,
        actor: str,
        drafts: Sequence[TaskDraft],
        owner: str | None = None,
        batch_size: int = IMPORT_BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[Task]:
        """Add many tasks in one transaction: every draft is checked first, then all are stored.

        ``InvalidInput`` names the first bad draft by index (``[3].title``) and
        nothing is written. ``on_progress`` hears how many were stored per batch.
        """
        user_id = authorize(actor, owner)
        now = self._clock()
        tasks: list[Task] = []
        for index, draft in enumerate(drafts):
            try:
                tasks.append(new_task(draft, user_id=user_id, now=now, task_id=self._new_id()))
            except InvalidInput as error:
                raise InvalidInput(
                    [replace(e, field=f"[{index}].{e.field}") for e in error.errors]
                ) from None
        with self._uow_factory() as uow:
            for start in range(0, len(tasks), batch_size):
                batch = tasks[start : start + batch_size]
                uow.tasks.add_many(batch, limit=self._limit)
                if on_progress is not None:
                    on_progress(len(batch))
            uow.commit()
        return tasks

    def get(self, *, actor: str, task_id: uuid.UUID, owner: str | None = None) -> Task:
        """One of the actor's tasks."""
        user_id = authorize(actor, owner)
        with self._uow_factory() as uow:
            task = uow.tasks.get(user_id, task_id)
        if task is None:
            raise TaskNotFound()
        return task

    def list(self, *, actor: str, request: ListRequest, owner: str | None = None) -> Page:
        """A page of the actor's tasks, filtered and sorted."""
        user_id = authorize(actor, owner)
        descending = request.descending
        if descending is None:
            descending = request.sort.descending_by_default
        query = TaskQuery(
            user_id=user_id,
            now=self._clock(),
            filter=request.filter,
            sort=request.sort,
            descending=descending,
            limit=request.limit,
            offset=request.offset,
        )
        if request.cursor is not None:
            query = replace(query, after=decode_cursor(request.cursor, query))
        with self._uow_factory() as uow:
            return uow.reader.list(query)

    def update(
        self,
        *,
        actor: str,
        task_id: uuid.UUID,
        changes: TaskChanges,
        owner: str | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Merge ``changes`` into a task; only the given fields change.

        A patch of plain fields only (``edits.plain_fields``) is first tried
        as one conditional write, with no read: on PostgreSQL one statement.
        When it writes nothing (no such task, another version, nothing to
        change), the general path below says which.
        """
        user_id = authorize(actor, owner)
        cleaned = validate_changes(changes)
        if plain_fields(cleaned):
            with self._uow_factory() as uow:
                patched = uow.tasks.patch(
                    user_id,
                    task_id,
                    cleaned,
                    now=self._clock(),
                    expected_version=expected_version,
                )
                uow.commit()
            if patched.task is not None:
                return Written(patched.task)

        def change(task: Task, now: datetime) -> bool:
            return apply_changes(task, changes, now=now)

        return self._write(user_id, task_id, expected_version, change)

    def set_completed(
        self,
        *,
        actor: str,
        task_id: uuid.UUID,
        completed: bool | None = None,
        owner: str | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Complete or reopen a task; ``completed=None`` toggles it."""
        user_id = authorize(actor, owner)

        def change(task: Task, now: datetime) -> bool:
            return apply_completion(task, completed, now=now)

        return self._write(user_id, task_id, expected_version, change)

    def delete(
        self,
        *,
        actor: str,
        task_id: uuid.UUID,
        owner: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Remove a task for good (a tombstone stays for the changes feed)."""
        self._write(authorize(actor, owner), task_id, expected_version, None)
        self._maybe_prune()

    def changes(
        self,
        *,
        actor: str,
        since: str | None = None,
        limit: int = DEFAULT_CHANGES_LIMIT,
        owner: str | None = None,
    ) -> ChangeFeed:
        """What changed in the actor's tasks after the token (everything, without one).

        One read, one snapshot: the entries, the clock and the pruned mark agree.
        A token below the pruned mark may have missed a deletion: ``SyncTokenExpired``.
        """
        user_id = authorize(actor, owner)
        check_limit(limit)
        after = 0 if since is None else decode_token(since, user_id)
        with self._uow_factory() as uow:
            batch = uow.reader.changes(
                user_id, after=after, limit=limit, include_deleted=since is not None
            )
        if since is not None and after < batch.pruned:
            raise SyncTokenExpired()
        entries = batch.entries[:limit]
        more = len(batch.entries) > limit
        seq = entries[-1].seq if more else max(after, batch.mark)
        changed = tuple(entry.task for entry in entries if entry.task is not None)
        deleted = tuple(
            Tombstone(entry.task_id, entry.deleted_at)
            for entry in entries
            if entry.task is None and entry.deleted_at is not None
        )
        return ChangeFeed(changed, deleted, encode_token(user_id, seq), more, seq)

    def change_mark(self, *, actor: str, owner: str | None = None) -> int:
        """The actor's change clock: what a long poll compares with its token's number."""
        user_id = authorize(actor, owner)
        with self._uow_factory() as uow:
            return uow.reader.change_mark(user_id)

    def prune_changes(self) -> None:
        """Forget tombstones older than the retention period, and expired idempotency keys."""
        now = self._clock()
        with self._uow_factory() as uow:
            uow.tasks.prune_tombstones(before=now - self._retention)
            uow.commit()
        with self._uow_factory() as uow:
            uow.tasks.prune_keys(before=now - KEY_LIFETIME)
            uow.commit()

    def _maybe_prune(self) -> None:
        """After a delete or an idempotent write: at most once per ``PRUNE_INTERVAL`` per worker.

        Best effort: a failure is logged and the next chance retries.
        """
        now = self._clock()
        with self._prune_lock:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_INTERVAL:
                return
            self._pruned_at = now
        try:
            self.prune_changes()
        except Exception:
            logger.warning("pruning old tombstones failed; retried later", exc_info=True)

    def stats(self, *, actor: str, owner: str | None = None) -> TaskStats:
        """Counts by status and priority, and how many are overdue."""
        user_id = authorize(actor, owner)
        with self._uow_factory() as uow:
            return uow.reader.stats(user_id, now=self._clock())

    def tags(self, *, actor: str, owner: str | None = None) -> tuple[TagCount, ...]:
        """Every tag on the actor's tasks with how many carry it, by name case-insensitively."""
        user_id = authorize(actor, owner)
        with self._uow_factory() as uow:
            return uow.reader.tags(user_id)

    def _write(
        self,
        user_id: str,
        task_id: uuid.UUID,
        expected_version: int | None,
        change: Change | None,
        *,
        once: OnceSlot | None = None,
    ) -> Written:
        """Read, check the version, change (or remove), commit: optimistic, then locked.

        The first attempt reads without a lock and writes conditionally on the
        version it read, so an uncontended write costs the read and the write
        alone. If another write got in between, a conditional request
        (``expected_version``) has lost (``VersionConflict``); an unconditional
        one tries once more holding the row's lock, which no one can overtake.
        """
        for locked in (False, True):
            with self._uow_factory() as uow:
                task = uow.tasks.get(user_id, task_id, for_update=locked)
                if task is None:
                    raise TaskNotFound()
                check_version(task, expected_version)
                try:
                    created = self._store(uow.tasks, task, change, once)
                    uow.commit()
                except VersionConflict:
                    if expected_version is not None or locked:
                        raise
                    continue
                return Written(task, created)
        raise VersionConflict()  # pragma: no cover - the locked attempt returns or raises

    def _store(
        self,
        tasks: TaskRepository,
        task: Task,
        change: Change | None,
        once: OnceSlot | None = None,
    ) -> tuple[Task, ...]:
        """Apply the change (or remove); a completion of a recurring task adds the next one.

        Both writes go to the same unit of work, so both or neither are stored,
        and so does an idempotency key (``once``), stored first.
        """
        if change is None:
            tasks.remove(task, deleted_at=self._clock())
            return ()
        previous_version, was_completed = task.version, task.completed
        now = self._clock()
        changed = change(task, now)
        created = None
        if changed and task.completed and not was_completed:
            created = self._next_occurrence(task, now)
        if created is not None:
            task.link_next_occurrence(created.id)
        if once is not None:
            written = Written(task, (created,) if created is not None else ())
            once.outcome = self._remember(tasks, task.user_id, once.once, written, now)
        if not changed:
            return ()
        tasks.save(task, previous_version=previous_version)
        if created is None:
            return ()
        tasks.add(created, limit=self._limit)
        return (created,)

    def _next_occurrence(self, task: Task, now: datetime) -> Task | None:
        if task.recurrence is None or task.next_occurrence_id is not None:
            return None
        if self._occurrences is None:
            raise RuntimeError("completing a recurring task needs an OccurrenceCalculator")
        return next_occurrence(task, now=now, calculator=self._occurrences, task_id=self._new_id())
