"""Idempotency keys on every adapter (mixed into ``RepositoryContract``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.builders import fresh_user_id
from tests.support.clock import DEFAULT_START, FakeClock
from todo_core.edits import TaskDraft
from todo_core.errors import InvalidInput, TaskNotFound
from todo_core.idempotency import Once, StoredResponse
from todo_core.ports import UnitOfWork
from todo_core.services import ListRequest, TaskService, Written

UowFactory = Callable[[], UnitOfWork]


def _once(key: str, fingerprint: str = "fp") -> Once:
    def respond(written: Written) -> StoredResponse:
        task = written.task
        return StoredResponse(
            201,
            f'{{"id": "{task.id}", "completed": {task.completed}}}',
            (
                ("etag", f'"{task.version}"'),
                ("location", f"/api/tasks/{task.id}"),
            ),
        )

    return Once(key, fingerprint, respond)


def _count(service: TaskService, user: str) -> int:
    return service.list(actor=user, request=ListRequest()).total


class IdempotencyContract:
    """Keys are stored with the change, replayed, refused for another request, per user."""

    def test_a_retried_create_replays_the_first_response_and_creates_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(DEFAULT_START))
        user = fresh_user_id()

        first = service.create_once(actor=user, draft=TaskDraft(title="x"), once=_once("k"))
        again = service.create_once(actor=user, draft=TaskDraft(title="x"), once=_once("k"))

        assert (first.replayed, again.replayed) == (False, True)
        assert again.response == first.response
        assert _count(service, user) == 1

    def test_a_key_used_for_another_request_is_invalid_input_on_the_header(
        self, uow_factory: UowFactory
    ) -> None:
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(DEFAULT_START))
        user = fresh_user_id()
        service.create_once(actor=user, draft=TaskDraft(title="x"), once=_once("k", "a"))

        with pytest.raises(InvalidInput) as raised:
            service.create_once(actor=user, draft=TaskDraft(title="y"), once=_once("k", "b"))

        assert raised.value.fields == ("Idempotency-Key",)
        assert _count(service, user) == 1

    def test_keys_of_two_users_never_meet(self, uow_factory: UowFactory) -> None:
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(DEFAULT_START))
        ann, bob = fresh_user_id(), fresh_user_id()

        a = service.create_once(actor=ann, draft=TaskDraft(title="x"), once=_once("same", "a"))
        b = service.create_once(actor=bob, draft=TaskDraft(title="x"), once=_once("same", "b"))

        assert not a.replayed
        assert not b.replayed
        assert (_count(service, ann), _count(service, bob)) == (1, 1)

    def test_a_retried_toggle_leaves_the_task_completed(self, uow_factory: UowFactory) -> None:
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(DEFAULT_START))
        user = fresh_user_id()
        task = service.create(actor=user, draft=TaskDraft(title="x"))

        for _ in range(3):
            service.set_completed_once(actor=user, task_id=task.id, once=_once("toggle"))

        assert service.get(actor=user, task_id=task.id).completed

    def test_an_expired_key_is_forgotten_and_may_be_used_again(
        self, uow_factory: UowFactory
    ) -> None:
        clock = FakeClock(DEFAULT_START)
        service = TaskService(uow_factory=uow_factory, clock=clock)
        user = fresh_user_id()
        service.create_once(actor=user, draft=TaskDraft(title="x"), once=_once("old", "a"))
        clock.advance(timedelta(hours=25))

        again = service.create_once(actor=user, draft=TaskDraft(title="y"), once=_once("old", "b"))
        service.prune_changes()

        assert not again.replayed
        assert _count(service, user) == 2

    def test_a_key_without_its_change_is_never_stored(self, uow_factory: UowFactory) -> None:
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(DEFAULT_START))
        user = fresh_user_id()

        with pytest.raises(TaskNotFound):
            service.set_completed_once(actor=user, task_id=uuid.uuid4(), once=_once("k"))
        created = service.create_once(actor=user, draft=TaskDraft(title="x"), once=_once("k"))

        assert not created.replayed
