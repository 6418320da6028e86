"""The behaviour every ``TaskRepository`` / ``UnitOfWork`` adapter must show.

Subclass ``RepositoryContract`` in a ``Test...`` class and give it a
``uow_factory`` fixture: a zero-argument callable returning a fresh
``UnitOfWork`` over the adapter's store, the store being shared between calls
within one test. The suite talks to the adapter only through the ports and
``TaskService``; every test works under a user id of its own, so several tests
(and other suites) may share one database, which is never assumed empty.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.changes_contract import ChangesContract
from tests.contract.idempotency_contract import IdempotencyContract
from tests.contract.patch_contract import PatchContract
from tests.contract.quota_contract import QuotaContract
from tests.support import oracle
from tests.support.builders import (
    add_tasks,
    fresh_user_id,
    make_task,
    remove_task,
    save_task,
    snapshot,
)
from tests.support.clock import DEFAULT_START, FakeClock
from tests.support.strategies import TaskSpec, build_tasks, sort_fields, task_specs
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import VersionConflict
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.ports import UnitOfWork
from todo_core.queries import (
    Page,
    SortField,
    TaskFilter,
    TaskQuery,
    TaskStats,
    decode_cursor,
)
from todo_core.services import ListRequest, TaskService

UowFactory = Callable[[], UnitOfWork]

NOW = DEFAULT_START
HOUR = timedelta(hours=1)
ALL_SORTS = [(sort, descending) for sort in SortField for descending in (False, True)]


def _get(uow_factory: UowFactory, user_id: str, task_id: uuid.UUID) -> Task | None:
    with uow_factory() as uow:
        return uow.tasks.get(user_id, task_id)


def _list(uow_factory: UowFactory, query: TaskQuery) -> Page:
    with uow_factory() as uow:
        return uow.reader.list(query)


def _query(user_id: str, **fields: object) -> TaskQuery:
    return TaskQuery(user_id=user_id, now=NOW, **fields)  # type: ignore[arg-type]


def _all_pages(uow_factory: UowFactory, query: TaskQuery) -> list[Page]:
    """Follow ``next_cursor`` from ``query`` to the last page."""
    pages = [_list(uow_factory, query)]
    while pages[-1].next_cursor is not None:
        position = decode_cursor(pages[-1].next_cursor, query)
        pages.append(_list(uow_factory, dataclasses.replace(query, offset=0, after=position)))
        assert len(pages) <= 1000, "paging does not end"
    return pages


def _ids(tasks: list[Task]) -> list[uuid.UUID]:
    return [task.id for task in tasks]


def _listed_ids(uow_factory: UowFactory, user_id: str, task_filter: TaskFilter) -> set[uuid.UUID]:
    page = _list(uow_factory, _query(user_id, filter=task_filter, limit=100))
    assert page.total == len(page.items)
    return set(_ids(page.items))


def _assert_utc(moment: datetime | None) -> None:
    if moment is not None:
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)


class RepositoryContract(ChangesContract, IdempotencyContract, PatchContract, QuotaContract):
    """Tests run against every adapter; subclasses provide the ``uow_factory`` fixture."""

    # --- storing and reading back -------------------------------------------------

    @pytest.mark.parametrize(
        "fields",
        [
            pytest.param({}, id="minimal"),
            pytest.param(
                {
                    "title": "Écrire le rapport 👩\u200d💻 — 日本語",
                    "description": "line one\nline two\r\n\tindented, 100% done_ok \\ end",
                    "status": TaskStatus.COMPLETED,
                    "priority": TaskPriority.HIGH,
                    "due_date": datetime(2026, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
                    "completed_at": datetime(2026, 3, 15, 8, 30, 0, 999999, tzinfo=UTC),
                    "updated_at": datetime(2026, 3, 15, 8, 30, 0, 999999, tzinfo=UTC),
                    "version": 7,
                },
                id="every-field",
            ),
            pytest.param(
                {"status": TaskStatus.IN_PROGRESS, "priority": TaskPriority.LOW},
                id="in-progress-low",
            ),
            pytest.param(
                {
                    "due_date": datetime(1, 1, 1, tzinfo=UTC),
                    "created_at": datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
                },
                id="year-1",
            ),
            pytest.param(
                {"due_date": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
                id="year-9999",
            ),
            pytest.param(
                {"title": "🏳️\u200d🌈" * 63 + "end", "description": "é\t\n" * 666 + "xy"},
                id="longest-fields",
            ),
            pytest.param({"description": ""}, id="empty-description"),
        ],
    )
    def test_an_added_task_comes_back_with_every_field(
        self, uow_factory: UowFactory, fields: dict[str, object]
    ) -> None:
        task = make_task(user_id=fresh_user_id(), **fields)  # type: ignore[arg-type]

        add_tasks(uow_factory, task)
        loaded = _get(uow_factory, task.user_id, task.id)

        assert loaded is not None
        assert snapshot(loaded) == snapshot(task)
        for moment in (loaded.due_date, loaded.completed_at, loaded.created_at, loaded.updated_at):
            _assert_utc(moment)

    def test_add_many_stores_every_task(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        tasks = [
            make_task(user_id=user_id, title=f"imported {n}", description="line\nnext")
            for n in range(5)
        ]

        with uow_factory() as uow:
            uow.tasks.add_many(tasks)
            uow.tasks.add_many([])
            uow.commit()

        for task in tasks:
            loaded = _get(uow_factory, user_id, task.id)
            assert loaded is not None
            assert snapshot(loaded) == snapshot(task)
        assert _list(uow_factory, _query(user_id)).total == 5

    def test_add_many_without_commit_stores_nothing(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()

        with uow_factory() as uow:
            uow.tasks.add_many([make_task(user_id=user_id) for _ in range(3)])

        assert _list(uow_factory, _query(user_id)).total == 0

    def test_getting_another_users_task_returns_none(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)

        loaded = _get(uow_factory, fresh_user_id(), task.id)

        assert loaded is None

    def test_getting_a_missing_task_returns_none(self, uow_factory: UowFactory) -> None:
        loaded = _get(uow_factory, fresh_user_id(), uuid.uuid4())

        assert loaded is None

    def test_getting_a_task_for_update_returns_it(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            loaded = uow.tasks.get(task.user_id, task.id, for_update=True)

        assert loaded is not None
        assert snapshot(loaded) == snapshot(task)

    def test_user_ids_are_case_sensitive(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id("User")
        task = make_task(user_id=user_id)
        add_tasks(uow_factory, task)

        loaded = _get(uow_factory, user_id.lower(), task.id)

        assert loaded is None

    # --- saving and removing --------------------------------------------------------

    def test_saving_a_changed_task_stores_the_change(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Before")
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            loaded = uow.tasks.get(task.user_id, task.id, for_update=True)
            assert loaded is not None
            loaded.rename("After")
            loaded.set_status(TaskStatus.COMPLETED, now=NOW)
            loaded.finish_write(now=NOW)
            uow.tasks.save(loaded, previous_version=1)
            uow.commit()

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert (stored.title, stored.status, stored.version) == ("After", "completed", 2)
        assert (stored.completed_at, stored.updated_at) == (NOW, NOW)

    def test_saving_a_stale_copy_raises_version_conflict_and_changes_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")
        add_tasks(uow_factory, task)
        with uow_factory() as uow:
            stale = uow.tasks.get(task.user_id, task.id)
        TaskService(uow_factory=uow_factory, clock=FakeClock(NOW)).update(
            actor=task.user_id, task_id=task.id, changes=TaskChanges(title="Winner")
        )
        assert stale is not None
        stale.rename("Loser")
        stale.finish_write(now=NOW)

        with pytest.raises(VersionConflict):
            save_task(uow_factory, stale, previous_version=1)

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert (stored.title, stored.version) == ("Winner", 2)

    def test_saving_a_task_removed_meanwhile_raises_version_conflict(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)
        with uow_factory() as uow:
            uow.tasks.remove(task)
            uow.commit()
        task.rename("Too late")
        task.finish_write(now=NOW)

        with pytest.raises(VersionConflict):
            save_task(uow_factory, task, previous_version=1)

        assert _get(uow_factory, task.user_id, task.id) is None

    def test_saving_or_removing_a_task_under_another_owner_raises_version_conflict(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id(), title="Mine")
        add_tasks(uow_factory, task)
        impostor = dataclasses.replace(task, user_id=fresh_user_id(), title="Taken over")

        with pytest.raises(VersionConflict):
            save_task(uow_factory, impostor, previous_version=1)
        with pytest.raises(VersionConflict):
            remove_task(uow_factory, impostor)

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert snapshot(stored) == snapshot(task)

    def test_removing_a_task_deletes_it(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())
        kept = make_task(user_id=task.user_id)
        add_tasks(uow_factory, task, kept)

        with uow_factory() as uow:
            uow.tasks.remove(task)
            uow.commit()

        assert _get(uow_factory, task.user_id, task.id) is None
        assert _get(uow_factory, kept.user_id, kept.id) is not None
        assert _list(uow_factory, _query(task.user_id)).total == 1

    def test_removing_a_stale_copy_raises_version_conflict_and_keeps_the_task(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)
        TaskService(uow_factory=uow_factory, clock=FakeClock(NOW)).update(
            actor=task.user_id, task_id=task.id, changes=TaskChanges(title="Changed")
        )

        with pytest.raises(VersionConflict):
            remove_task(uow_factory, task)

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert stored.version == 2

    # --- transactions -----------------------------------------------------------------

    def test_a_task_added_without_commit_is_not_stored(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())

        with uow_factory() as uow:
            uow.tasks.add(task)

        assert _get(uow_factory, task.user_id, task.id) is None

    def test_a_save_without_commit_is_rolled_back(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            loaded = uow.tasks.get(task.user_id, task.id, for_update=True)
            assert loaded is not None
            loaded.rename("Forgotten")
            loaded.finish_write(now=NOW)
            uow.tasks.save(loaded, previous_version=1)

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert snapshot(stored) == snapshot(task)

    def test_a_changed_copy_that_is_not_saved_is_not_stored_even_on_commit(
        self, uow_factory: UowFactory
    ) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            loaded = uow.tasks.get(task.user_id, task.id, for_update=True)
            assert loaded is not None
            loaded.rename("Never saved")
            loaded.set_status(TaskStatus.COMPLETED, now=NOW)
            loaded.finish_write(now=NOW)
            uow.commit()

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert snapshot(stored) == snapshot(task)

    def test_a_removal_without_commit_is_rolled_back(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            uow.tasks.remove(task)

        assert _get(uow_factory, task.user_id, task.id) is not None

    def test_rollback_discards_the_changes_made_so_far(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())

        with uow_factory() as uow:
            uow.tasks.add(task)
            uow.rollback()

        assert _get(uow_factory, task.user_id, task.id) is None

    def test_an_error_inside_a_unit_of_work_rolls_it_back(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id())

        def add_then_fail() -> None:
            with uow_factory() as uow:
                uow.tasks.add(task)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            add_then_fail()

        assert _get(uow_factory, task.user_id, task.id) is None

    def test_committed_changes_are_visible_to_later_units_of_work(
        self, uow_factory: UowFactory
    ) -> None:
        first = make_task(user_id=fresh_user_id(), title="first")
        second = make_task(user_id=first.user_id, title="second")

        with uow_factory() as uow:
            uow.tasks.add(first)
            uow.commit()
            uow.tasks.add(second)
            uow.commit()

        assert _list(uow_factory, _query(first.user_id)).total == 2

    # --- copies -----------------------------------------------------------------------

    def test_get_returns_a_copy(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            first = uow.tasks.get(task.user_id, task.id)
            assert first is not None
            first.rename("Changed in memory")
            first.version = 99
            again = uow.tasks.get(task.user_id, task.id)
            uow.commit()

        assert again is not None
        assert snapshot(again) == snapshot(task)
        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert snapshot(stored) == snapshot(task)

    def test_list_returns_copies(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")
        add_tasks(uow_factory, task)

        with uow_factory() as uow:
            [listed] = uow.reader.list(_query(task.user_id)).items
            listed.rename("Changed in memory")
            uow.commit()

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert stored.title == "Original"

    def test_add_stores_a_copy(self, uow_factory: UowFactory) -> None:
        task = make_task(user_id=fresh_user_id(), title="Original")

        with uow_factory() as uow:
            uow.tasks.add(task)
            task.rename("Changed after add")
            uow.commit()

        stored = _get(uow_factory, task.user_id, task.id)
        assert stored is not None
        assert stored.title == "Original"

    # --- listing: order ---------------------------------------------------------------

    @pytest.mark.parametrize(("sort", "descending"), ALL_SORTS)
    def test_every_sort_orders_by_value_then_id_with_missing_values_last(
        self, uow_factory: UowFactory, sort: SortField, descending: bool
    ) -> None:
        user_id = fresh_user_id()
        tasks = [
            make_task(
                user_id=user_id,
                title=title,
                status=status,
                priority=priority,
                due_date=due,
                created_at=NOW - HOUR * created,
                updated_at=NOW - HOUR * created + timedelta(microseconds=updated),
            )
            for title, status, priority, due, created, updated in [
                ("banana", TaskStatus.PENDING, TaskPriority.LOW, None, 1, 0),
                ("Apple", TaskStatus.COMPLETED, TaskPriority.HIGH, NOW, 1, 1),
                ("apple", TaskStatus.IN_PROGRESS, TaskPriority.MEDIUM, NOW + HOUR, 2, 0),
                ("Cherry", TaskStatus.PENDING, TaskPriority.HIGH, NOW, 2, 1),
                ("cherry", TaskStatus.IN_PROGRESS, TaskPriority.LOW, None, 1, 1),
                ("Banana", TaskStatus.COMPLETED, TaskPriority.MEDIUM, NOW - HOUR, 3, 0),
                ("date", TaskStatus.PENDING, TaskPriority.LOW, None, 3, 0),
            ]
        ]
        add_tasks(uow_factory, *tasks)

        page = _list(uow_factory, _query(user_id, sort=sort, descending=descending))

        assert _ids(page.items) == _ids(oracle.order(tasks, sort, descending))

    def test_titles_sort_case_insensitively(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        titles = ["banana", "Cherry", "apple", "Éclair", "Date"]
        add_tasks(uow_factory, *(make_task(user_id=user_id, title=title) for title in titles))

        page = _list(uow_factory, _query(user_id, sort=SortField.TITLE, descending=False))

        assert [task.title for task in page.items] == [
            "apple",
            "banana",
            "Cherry",
            "Date",
            "Éclair",
        ]

    def test_priority_sorts_by_meaning_and_status_by_progress(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        add_tasks(
            uow_factory,
            make_task(user_id=user_id, priority=TaskPriority.MEDIUM, status=TaskStatus.COMPLETED),
            make_task(user_id=user_id, priority=TaskPriority.HIGH, status=TaskStatus.PENDING),
            make_task(user_id=user_id, priority=TaskPriority.LOW, status=TaskStatus.IN_PROGRESS),
        )

        by_priority = _list(uow_factory, _query(user_id, sort=SortField.PRIORITY, descending=True))
        by_status = _list(uow_factory, _query(user_id, sort=SortField.STATUS, descending=False))

        assert [task.priority for task in by_priority.items] == ["high", "medium", "low"]
        assert [task.status for task in by_status.items] == ["pending", "in_progress", "completed"]

    @pytest.mark.parametrize("descending", [False, True])
    def test_tasks_without_a_due_date_come_last_in_both_directions(
        self, uow_factory: UowFactory, descending: bool
    ) -> None:
        user_id = fresh_user_id()
        undated = make_task(user_id=user_id)
        early = make_task(user_id=user_id, due_date=NOW - HOUR)
        late = make_task(user_id=user_id, due_date=NOW + HOUR)
        add_tasks(uow_factory, undated, early, late)

        page = _list(uow_factory, _query(user_id, sort=SortField.DUE_DATE, descending=descending))

        expected = [late, early, undated] if descending else [early, late, undated]
        assert _ids(page.items) == _ids(expected)

    @pytest.mark.parametrize("descending", [False, True])
    def test_equal_sort_values_are_ordered_by_id_in_the_sorts_direction(
        self, uow_factory: UowFactory, descending: bool
    ) -> None:
        user_id = fresh_user_id()
        service = TaskService(uow_factory=uow_factory, clock=FakeClock(NOW))
        created = [
            service.create(actor=user_id, draft=TaskDraft(title=f"same moment {n}"))
            for n in range(6)
        ]

        page = _list(uow_factory, _query(user_id, descending=descending))

        assert {task.created_at for task in page.items} == {NOW}
        assert [task.id.int for task in page.items] == sorted(
            (task.id.int for task in created), reverse=descending
        )

    # --- listing: filters -------------------------------------------------------------

    def test_status_priority_and_completed_filters(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        pending_low = make_task(user_id=user_id, priority=TaskPriority.LOW)
        active_high = make_task(
            user_id=user_id, status=TaskStatus.IN_PROGRESS, priority=TaskPriority.HIGH
        )
        done_medium = make_task(user_id=user_id, status=TaskStatus.COMPLETED)
        add_tasks(uow_factory, pending_low, active_high, done_medium)

        def listed(**fields: object) -> set[uuid.UUID]:
            return _listed_ids(uow_factory, user_id, TaskFilter(**fields))  # type: ignore[arg-type]

        assert listed(statuses=frozenset({TaskStatus.PENDING, TaskStatus.COMPLETED})) == {
            pending_low.id,
            done_medium.id,
        }
        assert listed(priorities=frozenset({TaskPriority.HIGH})) == {active_high.id}
        assert listed(
            priorities=frozenset({TaskPriority.LOW, TaskPriority.MEDIUM}),
            statuses=frozenset({TaskStatus.COMPLETED}),
        ) == {done_medium.id}
        assert listed(completed=True) == {done_medium.id}
        assert listed(completed=False) == {pending_low.id, active_high.id}

    @pytest.mark.parametrize(
        ("search", "expected"),
        [
            ("report", {"title-lower", "title-upper", "description"}),
            ("REPORT", {"title-lower", "title-upper", "description"}),
            ("école", {"ecole-upper", "ecole-lower"}),
            ("ÉCOLE", {"ecole-upper", "ecole-lower"}),
            ("%", {"percent"}),
            ("100%", {"percent"}),
            ("_", {"underscore"}),
            ("a_b", {"underscore"}),
            ("\\", {"backslash"}),
            ("c\\d", {"backslash"}),
            ("line\nsecond", {"description"}),
            ("nowhere to be found", set()),
        ],
    )
    def test_search_is_a_case_insensitive_literal_substring_of_title_or_description(
        self, uow_factory: UowFactory, search: str, expected: set[str]
    ) -> None:
        user_id = fresh_user_id()
        tasks = {
            "title-lower": make_task(user_id=user_id, title="write the report"),
            "title-upper": make_task(user_id=user_id, title="QUARTERLY REPORT"),
            "description": make_task(
                user_id=user_id, title="misc", description="first line\nsecond: Report due"
            ),
            "ecole-upper": make_task(user_id=user_id, title="ÉCOLE primaire"),
            "ecole-lower": make_task(user_id=user_id, title="misc", description="l'école"),
            "percent": make_task(user_id=user_id, title="100% done"),
            "underscore": make_task(user_id=user_id, title="a_b"),
            "backslash": make_task(user_id=user_id, title="c\\d"),
            "decoy": make_task(user_id=user_id, title="100 percent, aXb, cd", description="ab"),
        }
        add_tasks(uow_factory, *tasks.values())

        found = _listed_ids(uow_factory, user_id, TaskFilter(search=search))

        assert found == {tasks[name].id for name in expected}

    def test_a_search_with_a_nul_character_finds_nothing(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        add_tasks(uow_factory, make_task(user_id=user_id, title="anything"))

        found = _listed_ids(uow_factory, user_id, TaskFilter(search="any\x00"))

        assert found == set()

    def test_due_bounds_include_after_exclude_before_and_drop_undated_tasks(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        early = make_task(user_id=user_id, due_date=NOW - HOUR)
        exact = make_task(user_id=user_id, due_date=NOW)
        late = make_task(user_id=user_id, due_date=NOW + HOUR)
        undated = make_task(user_id=user_id)
        add_tasks(uow_factory, early, exact, late, undated)

        after = _listed_ids(uow_factory, user_id, TaskFilter(due_after=NOW))
        before = _listed_ids(uow_factory, user_id, TaskFilter(due_before=NOW))
        between = _listed_ids(
            uow_factory, user_id, TaskFilter(due_after=NOW - HOUR, due_before=NOW + HOUR)
        )

        assert after == {exact.id, late.id}
        assert before == {early.id}
        assert between == {early.id, exact.id}

    def test_overdue_means_due_before_now_and_not_completed(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        overdue = make_task(user_id=user_id, due_date=NOW - timedelta(microseconds=1))
        due_now = make_task(user_id=user_id, due_date=NOW)
        done_late = make_task(user_id=user_id, due_date=NOW - HOUR, status=TaskStatus.COMPLETED)
        active_late = make_task(user_id=user_id, due_date=NOW - HOUR, status=TaskStatus.IN_PROGRESS)
        undated = make_task(user_id=user_id)
        add_tasks(uow_factory, overdue, due_now, done_late, active_late, undated)

        late = _listed_ids(uow_factory, user_id, TaskFilter(overdue=True))
        others = _listed_ids(uow_factory, user_id, TaskFilter(overdue=False))

        assert late == {overdue.id, active_late.id}
        assert others == {due_now.id, done_late.id, undated.id}

    def test_listing_shows_only_the_users_own_tasks(self, uow_factory: UowFactory) -> None:
        mine = make_task(user_id=fresh_user_id())
        theirs = make_task(user_id=fresh_user_id())
        add_tasks(uow_factory, mine, theirs)

        page = _list(uow_factory, _query(mine.user_id))

        assert (page.total, _ids(page.items)) == (1, [mine.id])

    # --- listing: pages ---------------------------------------------------------------

    def test_offset_paging_skips_and_limits_with_the_total_of_all_matches(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        tasks = [make_task(user_id=user_id, created_at=NOW - HOUR * n) for n in range(7)]
        add_tasks(uow_factory, *tasks)

        page = _list(uow_factory, _query(user_id, limit=3, offset=2))
        beyond = _list(uow_factory, _query(user_id, limit=3, offset=10))

        assert _ids(page.items) == _ids(tasks[2:5])
        assert page.total == 7
        assert page.next_cursor is not None
        assert (beyond.items, beyond.total, beyond.next_cursor) == ([], 7, None)

    def test_the_cursor_of_an_offset_page_continues_after_it(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        tasks = [make_task(user_id=user_id, created_at=NOW - HOUR * n) for n in range(6)]
        add_tasks(uow_factory, *tasks)
        query = _query(user_id, limit=2, offset=1)
        first = _list(uow_factory, query)
        assert first.next_cursor is not None

        position = decode_cursor(first.next_cursor, query)
        rest = _list(uow_factory, dataclasses.replace(query, offset=0, after=position, limit=10))

        assert _ids(rest.items) == _ids(tasks[3:])
        assert rest.next_cursor is None

    def test_cursor_paging_reaches_the_end_with_no_cursor_after_an_exactly_full_page(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        tasks = [make_task(user_id=user_id, created_at=NOW - HOUR * n) for n in range(6)]
        add_tasks(uow_factory, *tasks)

        pages = _all_pages(uow_factory, _query(user_id, limit=3))

        assert [_ids(page.items) for page in pages] == [_ids(tasks[:3]), _ids(tasks[3:])]
        assert [page.total for page in pages] == [6, 6]
        assert pages[-1].next_cursor is None

    def test_a_filtered_listing_counts_all_matches_whatever_the_page(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        add_tasks(
            uow_factory,
            *(make_task(user_id=user_id, priority=TaskPriority.HIGH) for _ in range(5)),
            *(make_task(user_id=user_id, priority=TaskPriority.LOW) for _ in range(3)),
        )
        only_high = TaskFilter(priorities=frozenset({TaskPriority.HIGH}))

        pages = _all_pages(uow_factory, _query(user_id, filter=only_high, limit=2))

        assert [len(page.items) for page in pages] == [2, 2, 1]
        assert {page.total for page in pages} == {5}

    def test_an_empty_listing_has_no_items_and_no_cursor(self, uow_factory: UowFactory) -> None:
        page = _list(uow_factory, _query(fresh_user_id()))

        assert (page.items, page.total, page.next_cursor) == ([], 0, None)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
            HealthCheck.too_slow,
        ],
    )
    @given(
        specs=task_specs(max_size=15),
        sort=sort_fields,
        descending=st.booleans(),
        limit=st.integers(1, 7),
    )
    def test_paging_with_any_page_size_and_sort_yields_each_task_once_in_order(
        self,
        uow_factory: UowFactory,
        specs: list[TaskSpec],
        sort: SortField,
        descending: bool,
        limit: int,
    ) -> None:
        user_id = fresh_user_id()
        tasks = build_tasks(specs, user_id=user_id, now=NOW)
        add_tasks(uow_factory, *tasks)
        query = _query(user_id, sort=sort, descending=descending, limit=limit)

        by_cursor = [task for page in _all_pages(uow_factory, query) for task in page.items]
        by_offset = [
            task
            for offset in range(0, len(tasks) + 1, limit)
            for task in _list(uow_factory, dataclasses.replace(query, offset=offset)).items
        ]

        expected = _ids(oracle.order(tasks, sort, descending))
        assert _ids(by_cursor) == expected
        assert _ids(by_offset) == expected

    # --- tags, recurrence and reminders (API.md sections 7-9) ---------------------------

    def test_tags_rule_and_reminder_are_stored_and_read_back(self, uow_factory: UowFactory) -> None:
        task = make_task(
            user_id=fresh_user_id(),
            tags=("Work", "🏠", "straße"),
            due_date=NOW,
            recurrence="FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
            remind_at=NOW - HOUR,
        )
        add_tasks(uow_factory, task)

        stored = _get(uow_factory, task.user_id, task.id)

        assert stored is not None
        assert (stored.tags, stored.recurrence) == (task.tags, task.recurrence)
        assert (stored.remind_at, stored.next_occurrence_id) == (NOW - HOUR, None)
        _assert_utc(stored.remind_at)

    def test_saving_new_tags_replaces_the_old_ones_everywhere(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        task = make_task(user_id=user_id, tags=("old", "kept"))
        add_tasks(uow_factory, task)
        with uow_factory() as uow:
            loaded = uow.tasks.get(user_id, task.id)
            assert loaded is not None
            loaded.retag(["kept", "new"])
            loaded.finish_write(now=NOW)
            uow.tasks.save(loaded, previous_version=1)
            uow.commit()

        stored = _get(uow_factory, user_id, task.id)
        old = _listed_ids(uow_factory, user_id, TaskFilter(tags=frozenset({"old"})))
        new = _listed_ids(uow_factory, user_id, TaskFilter(tags=frozenset({"new"})))
        with uow_factory() as uow:
            counts = uow.reader.tags(user_id)

        assert stored is not None
        assert stored.tags == ("kept", "new")
        assert (old, new) == (set(), {task.id})
        assert [(tag.name, tag.count) for tag in counts] == [("kept", 1), ("new", 1)]

    def test_a_save_that_keeps_the_tags_keeps_them(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        task = make_task(user_id=user_id, tags=("a", "b"))
        add_tasks(uow_factory, task)
        with uow_factory() as uow:
            loaded = uow.tasks.get(user_id, task.id)
            assert loaded is not None
            loaded.rename("renamed")
            loaded.finish_write(now=NOW)
            uow.tasks.save(loaded, previous_version=1)
            uow.commit()

        tagged = _listed_ids(uow_factory, user_id, TaskFilter(tags=frozenset({"a"})))

        assert tagged == {task.id}

    def test_removing_a_task_removes_its_tags_from_the_counts(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        gone = make_task(user_id=user_id, tags=("solo",))
        kept = make_task(user_id=user_id, tags=("other",))
        add_tasks(uow_factory, gone, kept)

        remove_task(uow_factory, gone)

        with uow_factory() as uow:
            counts = uow.reader.tags(user_id)
            stats = uow.reader.stats(user_id, now=NOW)
        assert [tag.name for tag in counts] == ["other"]
        assert stats.by_tag == {"other": 1}

    def test_the_tag_filter_matches_any_tag_case_insensitively_and_only_the_users(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        work = make_task(user_id=user_id, tags=("Work",))
        both = make_task(user_id=user_id, tags=("home", "WORK"))
        home = make_task(user_id=user_id, tags=("Home",))
        untagged = make_task(user_id=user_id)
        someone_else = make_task(user_id=fresh_user_id(), tags=("work",))
        add_tasks(uow_factory, work, both, home, untagged, someone_else)

        by_work = _listed_ids(uow_factory, user_id, TaskFilter(tags=frozenset({"work"})))
        by_either = _listed_ids(uow_factory, user_id, TaskFilter(tags=frozenset({"work", "home"})))

        assert by_work == {work.id, both.id}
        assert by_either == {work.id, both.id, home.id}

    def test_tag_counts_group_by_case_and_spell_each_tag_as_its_latest_use(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        add_tasks(
            uow_factory,
            make_task(user_id=user_id, tags=("work", "ÜBER"), updated_at=NOW),
            make_task(user_id=user_id, tags=("Work",), updated_at=NOW + HOUR),
            make_task(user_id=user_id, tags=("über", "a"), updated_at=NOW - HOUR),
            make_task(user_id=fresh_user_id(), tags=("WORK", "zzz")),
        )

        with uow_factory() as uow:
            counts = uow.reader.tags(user_id)
            stats = uow.reader.stats(user_id, now=NOW)

        assert [(tag.name, tag.count) for tag in counts] == [("a", 1), ("Work", 2), ("ÜBER", 2)]
        assert stats.by_tag == {"a": 1, "Work": 2, "ÜBER": 2}

    def test_remind_bounds_include_after_exclude_before_and_drop_tasks_without_one(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        early = make_task(user_id=user_id, remind_at=NOW - HOUR)
        exact = make_task(user_id=user_id, remind_at=NOW)
        late = make_task(user_id=user_id, remind_at=NOW + HOUR)
        add_tasks(uow_factory, early, exact, late, make_task(user_id=user_id))

        after = _listed_ids(uow_factory, user_id, TaskFilter(remind_after=NOW))
        before = _listed_ids(uow_factory, user_id, TaskFilter(remind_before=NOW))

        assert after == {exact.id, late.id}
        assert before == {early.id}

    def test_remind_at_sorts_soonest_first_with_tasks_without_one_last(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        later = make_task(user_id=user_id, remind_at=NOW + HOUR)
        sooner = make_task(user_id=user_id, remind_at=NOW)
        none = make_task(user_id=user_id)
        add_tasks(uow_factory, later, none, sooner)

        ascending = _list(uow_factory, _query(user_id, sort=SortField.REMIND_AT, descending=False))
        descending = _list(uow_factory, _query(user_id, sort=SortField.REMIND_AT, descending=True))

        assert _ids(ascending.items) == [sooner.id, later.id, none.id]
        assert _ids(descending.items) == [later.id, sooner.id, none.id]

    def test_listing_by_tag_with_cursor_paging_yields_each_match_once(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        tasks = [
            make_task(user_id=user_id, tags=("even",) if n % 2 == 0 else ("odd", "x"))
            for n in range(9)
        ]
        add_tasks(uow_factory, *tasks)
        query = _query(user_id, filter=TaskFilter(tags=frozenset({"even"})), limit=2)

        paged = [task.id for page in _all_pages(uow_factory, query) for task in page.items]

        expected = _ids(
            oracle.order([t for t in tasks if "even" in t.tags], SortField.CREATED_AT, True)
        )
        assert paged == expected

    # --- stats ------------------------------------------------------------------------

    def test_stats_count_the_users_tasks_by_status_priority_and_overdue(
        self, uow_factory: UowFactory
    ) -> None:
        user_id = fresh_user_id()
        add_tasks(
            uow_factory,
            make_task(user_id=user_id, priority=TaskPriority.HIGH, due_date=NOW - HOUR),
            make_task(user_id=user_id, priority=TaskPriority.HIGH, due_date=NOW + HOUR),
            make_task(user_id=user_id, status=TaskStatus.IN_PROGRESS, due_date=NOW - HOUR),
            make_task(user_id=user_id, status=TaskStatus.COMPLETED, due_date=NOW - HOUR),
            make_task(user_id=user_id, status=TaskStatus.COMPLETED, priority=TaskPriority.LOW),
            make_task(user_id=fresh_user_id(), due_date=NOW - HOUR),
        )

        with uow_factory() as uow:
            stats = uow.reader.stats(user_id, now=NOW)

        assert stats == TaskStats(
            total=5,
            overdue=2,
            by_status={TaskStatus.PENDING: 2, TaskStatus.IN_PROGRESS: 1, TaskStatus.COMPLETED: 2},
            by_priority={TaskPriority.LOW: 1, TaskPriority.MEDIUM: 2, TaskPriority.HIGH: 2},
        )

    def test_stats_of_a_user_without_tasks_are_all_zero(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            stats = uow.reader.stats(fresh_user_id(), now=NOW)

        assert stats == TaskStats()

    # --- through the service ----------------------------------------------------------

    def test_the_service_works_end_to_end_over_the_adapter(self, uow_factory: UowFactory) -> None:
        user_id = fresh_user_id()
        clock = FakeClock(NOW)
        service = TaskService(uow_factory=uow_factory, clock=clock)
        created = service.create(
            actor=user_id, draft=TaskDraft(title="  Plan trip  ", due_date=NOW - HOUR)
        )
        clock.advance(timedelta(minutes=5))

        updated = service.update(
            actor=user_id,
            task_id=created.id,
            changes=TaskChanges(priority=TaskPriority.HIGH),
            expected_version=1,
        ).task
        completed = service.set_completed(actor=user_id, task_id=created.id).task
        listed = service.list(actor=user_id, request=ListRequest())
        stats = service.stats(actor=user_id)
        service.delete(actor=user_id, task_id=created.id, expected_version=3)

        assert (created.title, created.version) == ("Plan trip", 1)
        assert (updated.version, updated.updated_at) == (2, NOW + timedelta(minutes=5))
        assert (completed.version, completed.completed_at) == (3, clock.now)
        assert [snapshot(task) for task in listed.items] == [snapshot(completed)]
        assert (
            stats.total,
            stats.by_status[TaskStatus.COMPLETED],
            stats.overdue,
            stats.by_priority[TaskPriority.HIGH],
        ) == (1, 1, 0, 1)
        assert _get(uow_factory, user_id, created.id) is None
