"""Properties of the task use cases: round trips, refusals that change nothing, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import memory_service, snapshot
from tests.support.clock import FakeClock
from tests.support.strategies import (
    aware_datetimes,
    changes,
    descriptions,
    drafts,
    invalid_descriptions,
    invalid_titles,
    naive_datetimes,
    titles,
)
from todo_core.edits import UNSET, TaskChanges, TaskDraft
from todo_core.errors import InvalidInput, TaskNotFound
from todo_core.model import TaskStatus
from todo_core.services import ListRequest, TaskService

CHANGEABLE = ("title", "description", "status", "priority", "due_date", "completed_at")


def _all(service: TaskService, actor: str) -> list[dict[str, object]]:
    page = service.list(actor=actor, request=ListRequest(limit=100))
    return [snapshot(task) for task in page.items]


@given(draft=drafts())
def test_a_valid_draft_round_trips_through_create_and_get(draft: TaskDraft) -> None:
    clock = FakeClock()
    service = memory_service(clock)

    created = service.create(actor="alice", draft=draft)
    fetched = service.get(actor="alice", task_id=created.id)

    expected_status = draft.status or (
        TaskStatus.COMPLETED if draft.completed else TaskStatus.PENDING
    )
    assert snapshot(fetched) == snapshot(created)
    assert fetched.user_id == "alice"
    assert fetched.title == draft.title.strip()
    assert fetched.description == draft.description
    assert (fetched.status, fetched.priority) == (expected_status, draft.priority)
    assert fetched.due_date == draft.due_date
    if fetched.due_date is not None:
        assert fetched.due_date.utcoffset() == timedelta(0)
    assert fetched.completed is (expected_status is TaskStatus.COMPLETED)
    assert fetched.completed_at == (clock.now if fetched.completed else None)
    assert fetched.created_at == fetched.updated_at == clock.now
    assert fetched.version == 1


@st.composite
def invalid_drafts(draw: st.DrawFn) -> tuple[TaskDraft, tuple[str, ...]]:
    """A draft with at least one bad field, and the names of the bad fields in order."""
    bad = draw(
        st.sets(st.sampled_from(["title", "description", "due_date"]), min_size=1).map(
            lambda names: [n for n in ("title", "description", "due_date") if n in names]
        )
    )
    draft = TaskDraft(
        title=draw(invalid_titles() if "title" in bad else titles()),
        description=draw(invalid_descriptions() if "description" in bad else descriptions),
        due_date=draw(naive_datetimes if "due_date" in bad else st.none() | aware_datetimes),
        status=draw(st.none() | st.sampled_from(TaskStatus)),
        completed=draw(st.none() | st.booleans()),
    )
    return draft, tuple(bad)


@given(case=invalid_drafts())
def test_an_invalid_draft_names_every_bad_field_and_stores_nothing(
    case: tuple[TaskDraft, tuple[str, ...]],
) -> None:
    draft, bad = case
    service = memory_service()

    try:
        service.create(actor="alice", draft=draft)
    except InvalidInput as error:
        refused = error.fields
    else:
        refused = ()

    assert refused == bad
    assert service.stats(actor="alice").total == 0


@st.composite
def invalid_changes(draw: st.DrawFn) -> tuple[TaskChanges, tuple[str, ...]]:
    """A patch with at least one bad field (and maybe good ones), with the bad names."""
    good = draw(changes())
    bad = draw(
        st.sets(st.sampled_from(["title", "description", "due_date"]), min_size=1).map(
            lambda names: [n for n in ("title", "description", "due_date") if n in names]
        )
    )
    patch = TaskChanges(
        title=draw(invalid_titles()) if "title" in bad else good.title,
        description=draw(invalid_descriptions()) if "description" in bad else good.description,
        due_date=draw(naive_datetimes) if "due_date" in bad else good.due_date,
        status=good.status,
        priority=good.priority,
        completed=good.completed,
    )
    return patch, tuple(bad)


@given(draft=drafts(), case=invalid_changes(), conditional=st.booleans())
def test_an_invalid_update_names_every_bad_field_and_changes_nothing(
    draft: TaskDraft, case: tuple[TaskChanges, tuple[str, ...]], conditional: bool
) -> None:
    patch, bad = case
    clock = FakeClock()
    service = memory_service(clock)
    task = service.create(actor="alice", draft=draft)
    clock.advance()

    try:
        service.update(
            actor="alice",
            task_id=task.id,
            changes=patch,
            expected_version=1 if conditional else None,
        )
    except InvalidInput as error:
        refused = error.fields
    else:
        refused = ()

    assert refused == bad
    assert _all(service, "alice") == [snapshot(task)]


@given(draft=drafts(), patch=changes())
def test_an_update_bumps_the_version_exactly_when_a_field_changes(
    draft: TaskDraft, patch: TaskChanges
) -> None:
    clock = FakeClock()
    service = memory_service(clock)
    before = service.create(actor="alice", draft=draft)
    clock.advance()

    try:
        after = service.update(actor="alice", task_id=before.id, changes=patch).task
    except InvalidInput as error:
        refusal: InvalidInput | None = error
    else:
        refusal = None

    if refusal is not None:
        # only the completion conflict can refuse a valid patch, and it changes nothing
        assert refusal.fields == ("completed",)
        assert patch.status is not UNSET
        assert patch.completed is not UNSET
        assert _all(service, "alice") == [snapshot(before)]
        return
    changed = any(getattr(before, name) != getattr(after, name) for name in CHANGEABLE)
    assert snapshot(service.get(actor="alice", task_id=before.id)) == snapshot(after)
    assert after.version == before.version + changed
    assert after.updated_at == (clock.now if changed else before.updated_at)
    assert (after.completed_at is not None) is after.completed
    assert after.created_at == before.created_at


USERS = ("alice", "bob", "carol")


@given(
    owned=st.lists(st.tuples(st.sampled_from(USERS[:2]), drafts()), min_size=1, max_size=8),
    patch=changes(),
    completed=st.none() | st.booleans(),
    expected_version=st.none() | st.integers(0, 3),
)
def test_a_user_never_sees_or_touches_another_users_task(
    owned: list[tuple[str, TaskDraft]],
    patch: TaskChanges,
    completed: bool | None,
    expected_version: int | None,
) -> None:
    service = memory_service()
    created = [service.create(actor=owner, draft=draft) for owner, draft in owned]
    before = {user: _all(service, user) for user in USERS}

    for task in created:
        for intruder in (user for user in USERS if user != task.user_id):
            with pytest.raises(TaskNotFound):
                service.get(actor=intruder, task_id=task.id)
            with pytest.raises(TaskNotFound):
                service.update(
                    actor=intruder,
                    task_id=task.id,
                    changes=patch,
                    expected_version=expected_version,
                )
            with pytest.raises(TaskNotFound):
                service.set_completed(
                    actor=intruder,
                    task_id=task.id,
                    completed=completed,
                    expected_version=expected_version,
                )
            with pytest.raises(TaskNotFound):
                service.delete(actor=intruder, task_id=task.id, expected_version=expected_version)

    for user in USERS:
        listed = _all(service, user)
        assert listed == before[user]
        assert {row["user_id"] for row in listed} <= {user}
        assert service.stats(actor=user).total == sum(owner == user for owner, _ in owned)
