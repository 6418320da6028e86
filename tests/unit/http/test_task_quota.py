"""OWASP API4: ``MAX_TASKS_PER_USER``; a create beyond it is 409 and writes nothing."""

from __future__ import annotations

import pytest

from tests.unit.http.support import bearer, make_settings, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_adapters.settings import SettingsError

ALICE = bearer("alice")


def test_a_create_beyond_the_users_limit_is_409_task_limit_reached_and_writes_nothing() -> None:
    container = memory_container(InMemoryStore(), settings=make_settings(max_tasks_per_user=2))
    with serve(container) as client:
        for title in ("a", "b"):
            assert (
                client.post("/api/tasks", json={"title": title}, headers=ALICE).status_code == 201
            )

        refused = client.post("/api/alice/tasks", json={"title": "c"}, headers=ALICE)
        keyed = client.post(
            "/api/tasks", json={"title": "c"}, headers={**ALICE, "Idempotency-Key": "k1"}
        )

        assert refused.status_code == 409
        assert refused.json() == {"detail": "Task limit reached"}
        assert keyed.status_code == 409
        listed = client.get("/api/tasks", headers=ALICE)
        assert listed.headers["X-Total-Count"] == "2"
        assert (
            client.post("/api/tasks", json={"title": "b"}, headers=bearer("bob")).status_code == 201
        )


def test_the_limit_setting_must_be_at_least_one() -> None:
    with pytest.raises(SettingsError, match="MAX_TASKS_PER_USER"):
        make_settings(max_tasks_per_user=0)
