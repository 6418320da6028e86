"""Fixtures of the HTTP tests: the real app and use cases over the in-memory adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.clock import FakeClock
from tests.unit.http.support import SHAPES, TestClient, bearer, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_bootstrap.container import Container


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def container(store: InMemoryStore, fake_clock: FakeClock) -> Container:
    return memory_container(store, clock=fake_clock)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with serve(container) as client:
        yield client


@pytest.fixture
def alice() -> dict[str, str]:
    return bearer("alice")


@pytest.fixture(params=sorted(SHAPES))
def tasks_url(request: pytest.FixtureRequest) -> str:
    """The collection URL of alice's tasks in each route shape."""
    return SHAPES[request.param]
