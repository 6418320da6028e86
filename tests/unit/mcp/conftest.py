"""Fixtures of the MCP tests: the real tools and use cases over the in-memory adapter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp.server.fastmcp import FastMCP

from tests.support.clock import FakeClock
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_adapters.recurrence import DateutilOccurrences
from todo_core.services import TaskService
from todo_mcp.server import acting_as, build_server

ServerFor = Callable[..., FastMCP[Any]]


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def service(store: InMemoryStore, fake_clock: FakeClock) -> TaskService:
    return TaskService(
        uow_factory=lambda: InMemoryUnitOfWork(store),
        clock=fake_clock,
        occurrences=DateutilOccurrences(),
    )


@pytest.fixture
def server_for(service: TaskService) -> ServerFor:
    """The MCP server acting for a user, as ``todo mcp --user`` builds it."""

    def build(user: str = "alice", *, use_cases: TaskService | None = None) -> FastMCP[Any]:
        chosen = use_cases or service
        return build_server(service=lambda: chosen, identify=acting_as(user), concurrency=2)

    return build
