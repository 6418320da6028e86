"""A stateful test: random use cases by three users, checked against a plain dict model.

The model is written from API.md alone (it never calls the domain's own rules):
each step predicts either the exact task the service must return or the exact
error, and after every step each user's listing, stats and versions must equal
the model.
"""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from hypothesis import Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from tests.support import oracle
from tests.support.builders import all_pages, memory_service, snapshot
from tests.support.clock import DEFAULT_START, FakeClock
from tests.support.strategies import (
    invalid_descriptions,
    invalid_titles,
    near_datetimes,
    sort_fields,
    task_filters,
)
from todo_core.edits import UNSET, TaskChanges, TaskDraft, Unset
from todo_core.errors import AccessDenied, InvalidInput, TaskNotFound, TodoError, VersionConflict
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.queries import SortField, TaskFilter
from todo_core.services import ListRequest

USERS = ("alice", "bob", "carol")
COMPLETED = TaskStatus.COMPLETED
START = DEFAULT_START

T = TypeVar("T")
OwnerChoice = Literal["none", "self", "other"]
VersionChoice = Literal["none", "current", "stale", "ahead"]
Ref = tuple[str, uuid.UUID]

ticks = st.sampled_from(
    [timedelta(0), timedelta(microseconds=1), timedelta(seconds=1), timedelta(hours=2)]
)
owner_choices = st.sampled_from(["none", "none", "none", "self", "other"])
version_choices = st.sampled_from(["none", "current", "current", "stale", "ahead"])


def rarely(
    usual: st.SearchStrategy[T], unusual: st.SearchStrategy[T], one_in: int = 6
) -> st.SearchStrategy[T]:
    """Mostly ``usual``; ``unusual`` about once in ``one_in`` draws."""
    return st.integers(1, one_in).flatmap(lambda n: unusual if n == 1 else usual)


machine_titles = rarely(
    st.sampled_from(["Plan", "  Plan  ", "plan", "Write report", "École 👩\u200d💻", "x" * 255]),
    invalid_titles(),
)
machine_descriptions = rarely(
    st.none() | st.sampled_from(["", "notes\n\tmore", "100% _sure_ \\o/"]),
    invalid_descriptions(),
)
machine_due_dates = rarely(
    st.none() | near_datetimes(START, days=2),
    st.just(datetime(2026, 3, 15, 9, 0)),  # naive: refused
)
machine_tags = rarely(
    st.lists(st.sampled_from(["work", "Work", " home ", "🏠", "x" * 50, "a b"]), max_size=4),
    st.lists(st.sampled_from(["a,b", "  ", "x" * 51, "bell\x07"]), min_size=1, max_size=2),
)
#: Rules whose occurrences the model restates by hand: (rule, days between occurrences).
MACHINE_RULES = {
    "FREQ=DAILY": 1,
    "FREQ=DAILY;INTERVAL=3": 3,
    "FREQ=WEEKLY": 7,
    "FREQ=DAILY;COUNT=2": 1,
    "FREQ=DAILY;COUNT=1": 1,
}
machine_rules = st.none() | st.sampled_from(sorted(MACHINE_RULES))
#: ``None`` acts as the owner of the task addressed; a name acts as that user.
actors = st.sampled_from([None, None, None, *USERS])


def maybe(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | Unset]:
    return st.just(UNSET) | strategy


machine_drafts = st.builds(
    TaskDraft,
    title=machine_titles,
    description=machine_descriptions,
    status=st.none() | st.sampled_from(TaskStatus),
    priority=st.sampled_from(TaskPriority),
    due_date=machine_due_dates,
    completed=st.none() | st.booleans(),
)
machine_changes = st.builds(
    TaskChanges,
    title=maybe(machine_titles),
    description=maybe(machine_descriptions),
    status=maybe(st.sampled_from(TaskStatus)),
    priority=maybe(st.sampled_from(TaskPriority)),
    due_date=maybe(machine_due_dates),
    completed=maybe(st.booleans()),
)


# --- the rules, restated from API.md section 3 ----------------------------------------


def bad_fields(
    title: str | Unset, description: str | Unset | None, due_date: datetime | Unset | None
) -> tuple[str, ...]:
    bad = []
    if isinstance(title, str):
        trimmed = title.strip()
        forbidden = any(unicodedata.category(c) in ("Cc", "Cs") for c in trimmed)
        if not 1 <= len(trimmed) <= 255 or forbidden:
            bad.append("title")
    if isinstance(description, str) and (
        len(description) > 2000
        or "\x00" in description
        or any(unicodedata.category(c) == "Cs" for c in description)
    ):
        bad.append("description")
    if isinstance(due_date, datetime) and due_date.tzinfo is None:
        bad.append("due_date")
    return tuple(bad)


def next_status(
    current: TaskStatus, status: TaskStatus | Unset, completed: bool | Unset
) -> TaskStatus:
    result = current if isinstance(status, Unset) else status
    if completed is True:
        return COMPLETED
    if completed is False and result is COMPLETED:
        return TaskStatus.PENDING
    return result


def with_status(task: Task, status: TaskStatus, now: datetime) -> Task:
    if status is task.status:
        return task
    return dataclasses.replace(
        task, status=status, completed_at=now if status is COMPLETED else None
    )


def finish(before: Task, after: Task, now: datetime) -> Task:
    """Bump version and updated_at when a client-visible field changed."""
    fields = (
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "completed_at",
        "tags",
        "recurrence",
        "remind_at",
    )
    if all(getattr(before, name) == getattr(after, name) for name in fields):
        return before
    return dataclasses.replace(after, version=before.version + 1, updated_at=now)


def draft_disagrees(draft: TaskDraft) -> bool:
    """``completed`` and ``status`` both given and contradicting each other."""
    return (
        draft.status is not None
        and draft.completed is not None
        and draft.completed != (draft.status is COMPLETED)
    )


def predict_create(draft: TaskDraft, user_id: str, task_id: uuid.UUID, now: datetime) -> Task:
    status = draft.status or (COMPLETED if draft.completed else TaskStatus.PENDING)
    return Task(
        id=task_id,
        user_id=user_id,
        title=draft.title.strip(),
        description=draft.description,
        status=status,
        priority=draft.priority,
        due_date=None if draft.due_date is None else draft.due_date.astimezone(UTC),
        completed_at=now if status is COMPLETED else None,
        created_at=now,
        updated_at=now,
        version=1,
    )


class CompletionConflict(Exception):
    pass


def restate_tags(tags: list[str]) -> tuple[str, ...] | None:
    """Section 7: trimmed, 1-50, no control or comma, case repeats dropped; ``None`` if bad."""
    kept: list[str] = []
    for raw in tags:
        tag = raw.strip()
        forbidden = "," in tag or any(unicodedata.category(c) in ("Cc", "Cs") for c in tag)
        if not 1 <= len(tag) <= 50 or forbidden:
            return None
        if tag.casefold() not in {seen.casefold() for seen in kept}:
            kept.append(tag)
    return tuple(kept) if len(kept) <= 20 else None


def predict_next_occurrence(done: Task, task_id: uuid.UUID, now: datetime) -> Task | None:
    """Section 8 for the machine's rules: the first date after both the due date and now."""
    if done.recurrence is None or done.due_date is None:
        return None
    rule, _, count = done.recurrence.partition(";COUNT=")
    if count == "1":
        return None
    step = timedelta(days=MACHINE_RULES[done.recurrence])
    due = done.due_date + step
    while due <= max(done.due_date, now):
        due += step
    return Task(
        id=task_id,
        user_id=done.user_id,
        title=done.title,
        description=done.description,
        status=TaskStatus.PENDING,
        priority=done.priority,
        due_date=due,
        completed_at=None,
        created_at=now,
        updated_at=now,
        tags=done.tags,
        recurrence=f"{rule};COUNT={int(count) - 1}" if count else rule,
    )


def predict_update(task: Task, changes: TaskChanges, now: datetime) -> Task:
    status, completed = changes.status, changes.completed
    disagree = (
        not isinstance(status, Unset)
        and not isinstance(completed, Unset)
        and completed != (status is COMPLETED)
    )
    if disagree:
        status_differs = status is not task.status
        completed_differs = completed != (task.status is COMPLETED)
        if status_differs and completed_differs:
            raise CompletionConflict
        if status_differs:
            completed = UNSET
        else:
            status = UNSET
    after = dataclasses.replace(task)
    if not isinstance(changes.title, Unset):
        after.title = changes.title.strip()
    if not isinstance(changes.description, Unset):
        after.description = changes.description
    if not isinstance(changes.priority, Unset):
        after.priority = changes.priority
    if not isinstance(changes.due_date, Unset):
        after.due_date = None if changes.due_date is None else changes.due_date.astimezone(UTC)
    after = with_status(after, next_status(task.status, status, completed), now)
    return finish(task, after, now)


# --- the machine ----------------------------------------------------------------------


class TaskServiceMachine(RuleBasedStateMachine):
    """Drives ``TaskService`` over the in-memory unit of work for three users."""

    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(START)
        self.service = memory_service(self.clock)
        self.model: dict[str, dict[uuid.UUID, Task]] = {user: {} for user in USERS}

    # helpers

    def owner_for(self, actor: str, choice: OwnerChoice) -> str | None:
        if choice == "none":
            return None
        if choice == "self":
            return actor
        return USERS[(USERS.index(actor) + 1) % len(USERS)]

    def version_for(self, actor: str, task_id: uuid.UUID, choice: VersionChoice) -> int | None:
        current = self.model[actor][task_id].version if task_id in self.model[actor] else 1
        return {"none": None, "current": current, "stale": current - 1, "ahead": current + 1}[
            choice
        ]

    def attempt(self, call: Callable[[], T]) -> T | TodoError:
        try:
            outcome: T | TodoError = call()
        except TodoError as error:
            outcome = error
        event(f"{getattr(call, '__qualname__', '?').split('.')[1]}: {type(outcome).__name__}")
        return outcome

    def expect_error(
        self, outcome: object, kind: type[TodoError], fields: tuple[str, ...] = ()
    ) -> None:
        assert type(outcome) is kind, f"expected {kind.__name__}, got {outcome!r}"
        if isinstance(outcome, InvalidInput):
            assert outcome.fields == fields

    def precheck(
        self,
        actor: str,
        task_id: uuid.UUID,
        owner: str | None,
        expected_version: int | None,
        bad: tuple[str, ...] = (),
    ) -> tuple[type[TodoError], tuple[str, ...]] | None:
        """The error the checks before the domain call must give (403, 422, 404, 412)."""
        if owner is not None and owner != actor:
            return AccessDenied, ()
        if bad:
            return InvalidInput, bad
        task = self.model[actor].get(task_id)
        if task is None:
            return TaskNotFound, ()
        if expected_version is not None and expected_version != task.version:
            return VersionConflict, ()
        return None

    # rules

    @initialize(target=refs, order=st.permutations(range(len(USERS) * len(TaskStatus))))
    def start_with_a_task_in_each_status_for_each_user(self, order: list[int]) -> object:
        refs = []
        for user in USERS:
            for status in TaskStatus:
                draft = TaskDraft(title=f"{status} of {user}", status=status)
                task = self.service.create(actor=user, draft=draft)
                self.model[user][task.id] = task.copy()
                refs.append((user, task.id))
        return multiple(*(refs[index] for index in order))

    @rule(
        target=refs,
        actor=st.sampled_from(USERS),
        draft=machine_drafts,
        owner_choice=owner_choices,
        tick=ticks,
    )
    def create(
        self, actor: str, draft: TaskDraft, owner_choice: OwnerChoice, tick: timedelta
    ) -> object:
        now = self.clock.advance(tick)
        owner = self.owner_for(actor, owner_choice)

        outcome = self.attempt(lambda: self.service.create(actor=actor, draft=draft, owner=owner))

        bad = bad_fields(draft.title, draft.description, draft.due_date)
        if owner not in (None, actor):
            self.expect_error(outcome, AccessDenied)
        elif bad:
            self.expect_error(outcome, InvalidInput, bad)
        elif draft_disagrees(draft):
            self.expect_error(outcome, InvalidInput, ("completed",))
        else:
            assert isinstance(outcome, Task), outcome
            expected = predict_create(draft, actor, outcome.id, now)
            assert snapshot(outcome) == snapshot(expected)
            assert outcome.id not in self.model[actor]
            self.model[actor][outcome.id] = expected
            return (actor, outcome.id)
        return multiple()

    @rule(
        target=refs,
        actor=st.sampled_from(USERS),
        drafts=st.lists(machine_drafts, min_size=1, max_size=4),
        tick=ticks,
    )
    def create_many(self, actor: str, drafts: list[TaskDraft], tick: timedelta) -> object:
        now = self.clock.advance(tick)

        outcome = self.attempt(lambda: self.service.create_many(actor=actor, drafts=drafts))

        refused = [
            tuple(
                f"[{index}].{field}"
                for field in bad_fields(draft.title, draft.description, draft.due_date)
                or (("completed",) if draft_disagrees(draft) else ())
            )
            for index, draft in enumerate(drafts)
        ]
        first_refusal = next((fields for fields in refused if fields), None)
        if first_refusal is not None:
            self.expect_error(outcome, InvalidInput, first_refusal)
            return multiple()
        assert isinstance(outcome, list)
        assert len({task.id for task in outcome}) == len(drafts)
        for task, draft in zip(outcome, drafts, strict=True):
            expected = predict_create(draft, actor, task.id, now)
            assert snapshot(task) == snapshot(expected)
            self.model[actor][task.id] = expected
        return multiple(*((actor, task.id) for task in outcome))

    @rule(target=refs, user=st.sampled_from(USERS), task_id=st.uuids(version=4))
    def imagine_a_missing_task(self, user: str, task_id: uuid.UUID) -> Ref:
        return (user, task_id)

    @rule(
        actor=actors,
        ref=refs,
        changes=machine_changes,
        owner_choice=owner_choices,
        version_choice=version_choices,
        tick=ticks,
    )
    def update(
        self,
        actor: str | None,
        ref: Ref,
        changes: TaskChanges,
        owner_choice: OwnerChoice,
        version_choice: VersionChoice,
        tick: timedelta,
    ) -> None:
        now = self.clock.advance(tick)
        actor, task_id = actor or ref[0], ref[1]
        owner = self.owner_for(actor, owner_choice)
        version = self.version_for(actor, task_id, version_choice)

        outcome = self.attempt(
            lambda: (
                self.service.update(
                    actor=actor,
                    task_id=task_id,
                    changes=changes,
                    owner=owner,
                    expected_version=version,
                ).task
            )
        )

        bad = bad_fields(changes.title, changes.description, changes.due_date)
        error = self.precheck(actor, task_id, owner, version, bad)
        if error is not None:
            self.expect_error(outcome, *error)
            return
        before = self.model[actor][task_id]
        try:
            expected = predict_update(before, changes, now)
        except CompletionConflict:
            self.expect_error(outcome, InvalidInput, ("completed",))
            return
        if expected.recurrence is not None and expected.due_date is None:
            self.expect_error(outcome, InvalidInput, ("recurrence",))
            return
        assert isinstance(outcome, Task), outcome
        self.record_write(actor, before, expected, outcome, now)

    @rule(
        actor=actors,
        ref=refs,
        tags=machine_tags,
        owner_choice=owner_choices,
        version_choice=version_choices,
        tick=ticks,
    )
    def retag(
        self,
        actor: str | None,
        ref: Ref,
        tags: list[str],
        owner_choice: OwnerChoice,
        version_choice: VersionChoice,
        tick: timedelta,
    ) -> None:
        now = self.clock.advance(tick)
        actor, task_id = actor or ref[0], ref[1]
        owner = self.owner_for(actor, owner_choice)
        version = self.version_for(actor, task_id, version_choice)

        outcome = self.attempt(
            lambda: (
                self.service.update(
                    actor=actor,
                    task_id=task_id,
                    changes=TaskChanges(tags=tags),
                    owner=owner,
                    expected_version=version,
                ).task
            )
        )

        normalised = restate_tags(tags)
        bad = ("tags",) if normalised is None else ()
        error = self.precheck(actor, task_id, owner, version, bad)
        if error is not None:
            self.expect_error(outcome, *error)
            return
        assert normalised is not None
        before = self.model[actor][task_id]
        expected = finish(before, dataclasses.replace(before, tags=normalised), now)
        assert isinstance(outcome, Task), outcome
        assert snapshot(outcome) == snapshot(expected)
        self.model[actor][task_id] = expected

    @rule(
        actor=actors,
        ref=refs,
        recurrence=machine_rules,
        due=st.none() | near_datetimes(START, days=2),
        tick=ticks,
    )
    def repeat(
        self,
        actor: str | None,
        ref: Ref,
        recurrence: str | None,
        due: datetime | None,
        tick: timedelta,
    ) -> None:
        now = self.clock.advance(tick)
        actor, task_id = actor or ref[0], ref[1]
        changes = TaskChanges(recurrence=recurrence, due_date=UNSET if due is None else due)

        outcome = self.attempt(
            lambda: self.service.update(actor=actor, task_id=task_id, changes=changes).task
        )

        error = self.precheck(actor, task_id, None, None)
        if error is not None:
            self.expect_error(outcome, *error)
            return
        before = self.model[actor][task_id]
        due_date = before.due_date if due is None else due.astimezone(UTC)
        if recurrence is not None and due_date is None:
            self.expect_error(outcome, InvalidInput, ("recurrence",))
            return
        after = dataclasses.replace(before, recurrence=recurrence, due_date=due_date)
        expected = finish(before, after, now)
        assert isinstance(outcome, Task), outcome
        assert snapshot(outcome) == snapshot(expected)
        event(f"repeat: {recurrence}")
        self.model[actor][task_id] = expected

    def record_write(
        self, actor: str, before: Task, expected: Task, outcome: Task, now: datetime
    ) -> None:
        """Check a write's outcome; a first completion of a recurring task adds its next one."""
        completes = expected.status is COMPLETED and before.status is not COMPLETED
        following = None
        if completes and before.next_occurrence_id is None and outcome.next_occurrence_id:
            following = predict_next_occurrence(expected, outcome.next_occurrence_id, now)
        if completes and before.next_occurrence_id is None:
            predicted = predict_next_occurrence(expected, uuid.uuid4(), now)
            assert (outcome.next_occurrence_id is None) == (predicted is None), outcome
        if following is not None:
            expected = dataclasses.replace(expected, next_occurrence_id=following.id)
            self.model[actor][following.id] = following
            event("a completion created the next occurrence")
        assert snapshot(outcome) == snapshot(expected)
        self.model[actor][expected.id] = expected

    @rule(
        actor=actors,
        ref=refs,
        completed=st.none() | st.booleans(),
        owner_choice=owner_choices,
        version_choice=version_choices,
        tick=ticks,
    )
    def complete(
        self,
        actor: str | None,
        ref: Ref,
        completed: bool | None,
        owner_choice: OwnerChoice,
        version_choice: VersionChoice,
        tick: timedelta,
    ) -> None:
        now = self.clock.advance(tick)
        actor, task_id = actor or ref[0], ref[1]
        owner = self.owner_for(actor, owner_choice)
        version = self.version_for(actor, task_id, version_choice)

        outcome = self.attempt(
            lambda: (
                self.service.set_completed(
                    actor=actor,
                    task_id=task_id,
                    completed=completed,
                    owner=owner,
                    expected_version=version,
                ).task
            )
        )

        error = self.precheck(actor, task_id, owner, version)
        if error is not None:
            self.expect_error(outcome, *error)
            return
        before = self.model[actor][task_id]
        wanted = (before.status is not COMPLETED) if completed is None else completed
        expected = finish(
            before, with_status(before, next_status(before.status, UNSET, wanted), now), now
        )
        assert isinstance(outcome, Task), outcome
        how = "toggle" if completed is None else f"completed={completed}"
        event(f"complete ({how}): {before.status} -> {expected.status}")
        if before.status is COMPLETED and wanted:
            assert outcome.completed_at == before.completed_at
        self.record_write(actor, before, expected, outcome, now)

    @rule(
        actor=actors,
        ref=refs,
        owner_choice=owner_choices,
        version_choice=version_choices,
    )
    def delete(
        self,
        actor: str | None,
        ref: Ref,
        owner_choice: OwnerChoice,
        version_choice: VersionChoice,
    ) -> None:
        actor, task_id = actor or ref[0], ref[1]
        owner = self.owner_for(actor, owner_choice)
        version = self.version_for(actor, task_id, version_choice)

        outcome = self.attempt(
            lambda: self.service.delete(
                actor=actor, task_id=task_id, owner=owner, expected_version=version
            )
        )

        error = self.precheck(actor, task_id, owner, version)
        if error is not None:
            self.expect_error(outcome, *error)
            return
        assert outcome is None
        del self.model[actor][task_id]

    @rule(actor=actors, ref=refs)
    def get(self, actor: str | None, ref: Ref) -> None:
        actor, task_id = actor or ref[0], ref[1]

        outcome = self.attempt(lambda: self.service.get(actor=actor, task_id=task_id))

        expected = self.model[actor].get(task_id)
        if expected is None:
            self.expect_error(outcome, TaskNotFound)
        else:
            assert isinstance(outcome, Task)
            assert snapshot(outcome) == snapshot(expected)

    @rule(
        actor=st.sampled_from(USERS),
        task_filter=st.just(TaskFilter()) | task_filters(around=START),
        sort=sort_fields,
        descending=st.none() | st.booleans(),
        limit=st.integers(1, 3),
        tick=ticks,
    )
    def list_pages(
        self,
        actor: str,
        task_filter: TaskFilter,
        sort: SortField,
        descending: bool | None,
        limit: int,
        tick: timedelta,
    ) -> None:
        now = self.clock.advance(tick)
        request = ListRequest(filter=task_filter, sort=sort, descending=descending, limit=limit)

        pages = all_pages(
            self.service, actor=actor, request=request, max_pages=len(self.model[actor]) + 1
        )

        direction = oracle.default_descending(sort) if descending is None else descending
        expected = oracle.listing(self.model[actor].values(), task_filter, sort, direction, now)
        listed = [task for page in pages for task in page.items]
        event(f"list: {min(len(pages), 3)}{'+' if len(pages) > 3 else ''} page(s)")
        assert [snapshot(task) for task in listed] == [snapshot(task) for task in expected]
        assert {page.total for page in pages} == {len(expected)}

    @rule(actor=st.sampled_from(USERS), other=st.sampled_from(USERS))
    def look_at_another_users_collection(self, actor: str, other: str) -> None:
        outcomes = [
            self.attempt(lambda: self.service.stats(actor=actor, owner=other)),
            self.attempt(
                lambda: self.service.list(actor=actor, owner=other, request=ListRequest())
            ),
        ]

        for outcome in outcomes:
            if other == actor:
                assert not isinstance(outcome, TodoError)
            else:
                self.expect_error(outcome, AccessDenied)

    # invariants

    @invariant()
    def each_users_listing_equals_the_model(self) -> None:
        for user in USERS:
            page = self.service.list(actor=user, request=ListRequest(limit=100))
            expected = oracle.order(self.model[user].values(), SortField.CREATED_AT, True)
            assert [snapshot(task) for task in page.items] == [snapshot(task) for task in expected]
            assert page.total == len(expected)

    @invariant()
    def stats_match_the_model(self) -> None:
        for user in USERS:
            stats = self.service.stats(actor=user)
            assert stats == oracle.stats(self.model[user].values(), self.clock.now)


# No explain phase: on a failure it replays the whole run many times over, which
# takes minutes here; the shrunk step list printed without it is enough.
TaskServiceMachine.TestCase.settings = settings(
    stateful_step_count=50,
    deadline=None,
    phases=[phase for phase in Phase if phase is not Phase.explain],
)
TestTaskServiceMachine = TaskServiceMachine.TestCase
