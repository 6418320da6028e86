"""The changes feed as a property: replaying it onto any client's copy gives the listing.

A hypothesis state machine over the in-memory adapter: several users, random
creates, updates, completions and deletes, and clients that read the feed at
random points with random page sizes. Whenever a client has followed the feed
to its end, its copy equals the user's listing; and every token a client held
still replays onto the copy it had then to exactly the listing.
"""

from __future__ import annotations

import uuid

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.contract.changes_contract import apply_feed
from tests.support.clock import FakeClock
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_core.changes import ChangeFeed
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.model import Task
from todo_core.services import ListRequest, TaskService

USERS = ("ann", "bob", "cy")
users = st.sampled_from(USERS)
titles = st.text(alphabet="abc", min_size=1, max_size=3)


class ChangesFeedMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        store = InMemoryStore()
        self.clock = FakeClock()
        self.service = TaskService(uow_factory=lambda: InMemoryUnitOfWork(store), clock=self.clock)
        self.ids: dict[str, list[uuid.UUID]] = {user: [] for user in USERS}
        # Per user, the copies clients held at each token they got: (token, copy).
        self.checkpoints: dict[str, list[tuple[str | None, dict[uuid.UUID, Task]]]] = {
            user: [(None, {})] for user in USERS
        }

    def _follow(self, user: str, token: str | None, limit: int) -> tuple[list[ChangeFeed], str]:
        pages = [self.service.changes(actor=user, since=token, limit=limit)]
        while pages[-1].more:
            pages.append(self.service.changes(actor=user, since=pages[-1].next_token, limit=limit))
        return pages, pages[-1].next_token

    def _listing(self, user: str) -> dict[uuid.UUID, Task]:
        page = self.service.list(actor=user, request=ListRequest(limit=100))
        return {task.id: task for task in page.items}

    @rule(user=users, title=titles)
    def create(self, user: str, title: str) -> None:
        self.clock.advance()
        self.ids[user].append(self.service.create(actor=user, draft=TaskDraft(title=title)).id)

    @precondition(lambda self: any(self.ids.values()))
    @rule(data=st.data(), title=titles)
    def update(self, data: st.DataObject, title: str) -> None:
        user = data.draw(st.sampled_from([u for u in USERS if self.ids[u]]))
        task_id = data.draw(st.sampled_from(self.ids[user]))
        self.clock.advance()
        self.service.update(actor=user, task_id=task_id, changes=TaskChanges(title=title))

    @precondition(lambda self: any(self.ids.values()))
    @rule(data=st.data())
    def toggle(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from([u for u in USERS if self.ids[u]]))
        task_id = data.draw(st.sampled_from(self.ids[user]))
        self.clock.advance()
        self.service.set_completed(actor=user, task_id=task_id)

    @precondition(lambda self: any(self.ids.values()))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        user = data.draw(st.sampled_from([u for u in USERS if self.ids[u]]))
        task_id = data.draw(st.sampled_from(self.ids[user]))
        self.clock.advance()
        self.service.delete(actor=user, task_id=task_id)
        self.ids[user].remove(task_id)

    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=4))
    def read_one_page(self, data: st.DataObject, limit: int) -> None:
        """A client reads one page from a token it held (not necessarily to the end)."""
        user = data.draw(users)
        token, copy = data.draw(st.sampled_from(self.checkpoints[user]))
        feed = self.service.changes(actor=user, since=token, limit=limit)
        copy = dict(copy)
        apply_feed(copy, [feed])
        self.checkpoints[user].append((feed.next_token, copy))
        if not feed.more:
            assert copy == self._listing(user)

    @invariant()
    def every_held_token_replays_to_the_listing(self) -> None:
        for user in USERS:
            listing = self._listing(user)
            for token, held in self.checkpoints[user][-6:]:
                copy = dict(held)
                pages, _ = self._follow(user, token, limit=3)
                apply_feed(copy, pages)
                assert copy == listing


TestChangesFeed = ChangesFeedMachine.TestCase
TestChangesFeed.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
