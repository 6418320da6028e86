"""The in-memory adapter: the repository contract, plus what only memory promises."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import pytest

from tests.contract.repository_contract import RepositoryContract
from tests.support.builders import make_task, memory_uow_factory, snapshot
from tests.support.clock import FakeClock
from tests.support.threads import run_together
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.ports import UnitOfWork
from todo_core.queries import TaskQuery
from todo_core.services import ListRequest, TaskService


class TestInMemoryRepository(RepositoryContract):
    """The shared contract, over ``InMemoryUnitOfWork(InMemoryStore())``."""

    @pytest.fixture
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return memory_uow_factory(InMemoryStore())


def test_many_threads_creating_tasks_keep_every_task() -> None:
    service = TaskService(uow_factory=memory_uow_factory(), clock=FakeClock())

    def create(index: int) -> None:
        for n in range(25):
            service.create(actor=f"user-{index % 3}", draft=TaskDraft(title=f"{index}-{n}"))

    run_together(8, create)

    listed = [
        task.title
        for user in ("user-0", "user-1", "user-2")
        for page_offset in (0, 100)
        for task in service.list(
            actor=user, request=ListRequest(limit=100, offset=page_offset)
        ).items
    ]
    assert sorted(listed) == sorted(f"{i}-{n}" for i in range(8) for n in range(25))


def test_many_threads_updating_one_task_lose_no_write() -> None:
    service = TaskService(uow_factory=memory_uow_factory(), clock=FakeClock())
    task = service.create(actor="alice", draft=TaskDraft(title="shared"))

    def update(index: int) -> None:
        for n in range(20):
            service.update(
                actor="alice", task_id=task.id, changes=TaskChanges(title=f"{index}-{n}")
            )
            service.set_completed(actor="alice", task_id=task.id)

    run_together(8, update)

    stored = service.get(actor="alice", task_id=task.id)
    assert stored.version == 1 + 8 * 20 * 2
    assert stored.completed is False


def test_many_threads_writing_different_fields_keep_each_others_changes() -> None:
    service = TaskService(uow_factory=memory_uow_factory(), clock=FakeClock())
    tasks = [service.create(actor="bob", draft=TaskDraft(title=f"t{n}")) for n in range(8)]

    def update(index: int) -> None:
        for task in tasks:
            if index % 2:
                service.update(
                    actor="bob", task_id=task.id, changes=TaskChanges(description=f"d{index}")
                )
            else:
                service.update(actor="bob", task_id=task.id, changes=TaskChanges(title=f"t{index}"))

    run_together(6, update)

    for task in tasks:
        stored = service.get(actor="bob", task_id=task.id)
        assert stored.title in {"t0", "t2", "t4"}
        assert stored.description in {"d1", "d3", "d5"}


def test_the_store_keeps_copies_not_the_objects_it_was_given() -> None:
    store = InMemoryStore()
    task = make_task(user_id="carol", title="Original")
    before = snapshot(task)

    with InMemoryUnitOfWork(store) as uow:
        uow.tasks.add(task)
        uow.commit()
    task.rename("Changed outside")

    [stored] = store.tasks.values()
    assert stored is not task
    assert snapshot(stored) == before


def test_the_store_hands_out_copies_from_get_and_list() -> None:
    store = InMemoryStore()
    task = make_task(user_id="carol")
    with InMemoryUnitOfWork(store) as uow:
        uow.tasks.add(task)
        uow.commit()

    with InMemoryUnitOfWork(store) as uow:
        fetched = uow.tasks.get("carol", task.id)
        listed = uow.reader.list(TaskQuery(user_id="carol", now=task.created_at)).items

    stored = store.tasks[task.id]
    assert fetched is not stored
    assert listed[0] is not stored


@pytest.mark.parametrize("owner", ["dave", "erin"])
def test_adding_a_task_id_that_is_already_stored_is_refused(owner: str) -> None:
    store = InMemoryStore()
    task = make_task(user_id="dave")

    with InMemoryUnitOfWork(store) as uow:
        uow.tasks.add(task)
        with pytest.raises(ValueError, match="already exists"):
            uow.tasks.add(dataclasses.replace(task, user_id=owner))
        uow.commit()

    assert list(store.tasks.values()) == [task]


def test_a_unit_of_work_holds_the_store_until_it_ends() -> None:
    store = InMemoryStore()
    other_done = threading.Event()

    def other() -> None:
        with InMemoryUnitOfWork(store):
            other_done.set()

    with InMemoryUnitOfWork(store):
        thread = threading.Thread(target=other)
        thread.start()
        waited_inside = other_done.wait(timeout=0.1)

    thread.join(timeout=5)
    assert not waited_inside
    assert other_done.is_set()
