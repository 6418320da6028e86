"""The changes feed's behaviour on every adapter (mixed into ``RepositoryContract``).

Through ``TaskService`` and the ports only; each test under its own user id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.builders import fresh_user_id
from tests.support.clock import DEFAULT_START, FakeClock
from todo_core.changes import ChangeFeed, encode_token
from todo_core.edits import TaskChanges, TaskDraft, new_task
from todo_core.errors import InvalidInput, SyncTokenExpired
from todo_core.model import Task
from todo_core.ports import UnitOfWork
from todo_core.services import ListRequest, TaskService

UowFactory = Callable[[], UnitOfWork]


def _service(uow_factory: UowFactory, clock: FakeClock | None = None) -> TaskService:
    return TaskService(uow_factory=uow_factory, clock=clock or FakeClock(DEFAULT_START))


def _follow(
    service: TaskService, user: str, since: str | None, *, limit: int = 100
) -> tuple[list[ChangeFeed], str]:
    pages = [service.changes(actor=user, since=since, limit=limit)]
    while pages[-1].more:
        pages.append(service.changes(actor=user, since=pages[-1].next_token, limit=limit))
        assert len(pages) < 1000
    return pages, pages[-1].next_token


def apply_feed(copy: dict[uuid.UUID, Task], pages: list[ChangeFeed]) -> None:
    """What a client does with the feed: upsert the changed, drop the deleted."""
    for page in pages:
        for task in page.changed:
            copy[task.id] = task
        for tombstone in page.deleted:
            copy.pop(tombstone.task_id, None)


def _listing(service: TaskService, user: str) -> dict[uuid.UUID, Task]:
    page = service.list(actor=user, request=ListRequest(limit=100))
    return {task.id: task for task in page.items}


class ChangesContract:
    """The changes feed (API.md section 10); subclasses provide ``uow_factory``."""

    def test_the_feed_without_a_token_gives_every_current_task_in_commit_order(
        self, uow_factory: UowFactory
    ) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        first = service.create(actor=user, draft=TaskDraft(title="one"))
        second = service.create(actor=user, draft=TaskDraft(title="two"))
        gone = service.create(actor=user, draft=TaskDraft(title="gone"))
        service.update(actor=user, task_id=first.id, changes=TaskChanges(title="one!"))
        service.delete(actor=user, task_id=gone.id)

        feed = service.changes(actor=user)

        assert [task.id for task in feed.changed] == [second.id, first.id]
        assert feed.changed[1].title == "one!"
        assert feed.deleted == ()
        assert not feed.more
        assert service.changes(actor=user, since=feed.next_token).changed == ()

    def test_changes_after_a_token_hold_each_task_once_and_the_deletions(
        self, uow_factory: UowFactory
    ) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        kept = service.create(actor=user, draft=TaskDraft(title="kept"))
        doomed = service.create(actor=user, draft=TaskDraft(title="doomed"))
        token = service.changes(actor=user).next_token
        service.update(actor=user, task_id=kept.id, changes=TaskChanges(title="a"))
        service.set_completed(actor=user, task_id=kept.id)
        brief = service.create(actor=user, draft=TaskDraft(title="brief"))
        service.delete(actor=user, task_id=doomed.id)
        service.delete(actor=user, task_id=brief.id)

        feed = service.changes(actor=user, since=token)

        assert [(task.id, task.title, task.completed) for task in feed.changed] == [
            (kept.id, "a", True)
        ]
        assert [tombstone.task_id for tombstone in feed.deleted] == [doomed.id, brief.id]
        assert all(t.deleted_at == DEFAULT_START for t in feed.deleted)

    def test_pages_of_the_feed_never_repeat_or_skip_a_change(self, uow_factory: UowFactory) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        token = service.changes(actor=user).next_token
        created = [service.create(actor=user, draft=TaskDraft(title=f"t{i}")) for i in range(7)]

        pages, _ = _follow(service, user, token, limit=2)

        assert [len(page.changed) for page in pages] == [2, 2, 2, 1]
        assert [task.id for page in pages for task in page.changed] == [t.id for t in created]

    def test_following_the_feed_gives_a_copy_equal_to_the_listing(
        self, uow_factory: UowFactory
    ) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        tasks = [service.create(actor=user, draft=TaskDraft(title=f"t{i}")) for i in range(4)]
        pages, token = _follow(service, user, None, limit=3)
        copy: dict[uuid.UUID, Task] = {}
        apply_feed(copy, pages)
        service.delete(actor=user, task_id=tasks[0].id)
        service.update(actor=user, task_id=tasks[1].id, changes=TaskChanges(title="new"))
        service.create(actor=user, draft=TaskDraft(title="late"))

        pages, _ = _follow(service, user, token, limit=1)
        apply_feed(copy, pages)

        assert copy == _listing(service, user)

    def test_a_write_rolled_back_leaves_no_change(self, uow_factory: UowFactory) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        token = service.changes(actor=user).next_token
        service.create(actor=user, draft=TaskDraft(title="kept"))
        with uow_factory() as uow:
            uow.tasks.add(
                new_task(
                    TaskDraft(title="lost"), user_id=user, now=DEFAULT_START, task_id=uuid.uuid4()
                )
            )

        feed = service.changes(actor=user, since=token)

        assert [task.title for task in feed.changed] == ["kept"]
        assert service.change_mark(actor=user) == feed.seq == 1

    def test_the_change_mark_moves_with_every_write(self, uow_factory: UowFactory) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        before = service.change_mark(actor=user)
        task = service.create(actor=user, draft=TaskDraft(title="x"))
        service.delete(actor=user, task_id=task.id)

        assert before == 0
        assert service.change_mark(actor=user) == 2
        assert service.changes(actor=user).seq == 2

    def test_a_token_of_another_user_or_corrupt_is_invalid_since(
        self, uow_factory: UowFactory
    ) -> None:
        service, user = _service(uow_factory), fresh_user_id()
        other = service.changes(actor=fresh_user_id()).next_token

        for token in (other, "not a token", "", "x" * 300, encode_token(user, -1)):
            with pytest.raises(InvalidInput) as raised:
                service.changes(actor=user, since=token)
            assert raised.value.fields == ("since",)

    def test_a_token_older_than_the_pruned_tombstones_has_expired(
        self, uow_factory: UowFactory
    ) -> None:
        clock = FakeClock(DEFAULT_START)
        service, user = _service(uow_factory, clock), fresh_user_id()
        task = service.create(actor=user, draft=TaskDraft(title="x"))
        old = service.changes(actor=user).next_token
        service.delete(actor=user, task_id=task.id)
        after_delete = service.changes(actor=user).next_token
        clock.advance(timedelta(days=31))

        service.prune_changes()

        with pytest.raises(SyncTokenExpired):
            service.changes(actor=user, since=old)
        assert service.changes(actor=user, since=after_delete).deleted == ()
        assert service.changes(actor=user).changed == ()

    def test_recent_tombstones_survive_pruning(self, uow_factory: UowFactory) -> None:
        clock = FakeClock(DEFAULT_START)
        service, user = _service(uow_factory, clock), fresh_user_id()
        task = service.create(actor=user, draft=TaskDraft(title="x"))
        token = service.changes(actor=user).next_token
        service.delete(actor=user, task_id=task.id)
        clock.advance(timedelta(days=29))

        service.prune_changes()

        assert [t.task_id for t in service.changes(actor=user, since=token).deleted] == [task.id]
