"""The gate admits ``DB_POOL_SIZE`` requests at once; the next waits, then gets 503."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from typing import Any

import anyio.to_thread
import httpx
import pytest
from dependency_injector import providers

from tests.unit.http.support import TestClient, bearer, make_settings, memory_container
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_core.errors import StorageUnavailable
from todo_http.app import create_app
from todo_http.gate import SPARE_THREADS, DatabaseGate


class HeldUnitOfWork(InMemoryUnitOfWork):
    """Waits for ``release`` before starting, as a use case stuck on a slow database would."""

    def __init__(self, store: InMemoryStore, entered: threading.Event, release: threading.Event):
        super().__init__(store)
        self._entered, self._release = entered, release

    def __enter__(self) -> Any:
        self._entered.set()
        self._release.wait(timeout=10)
        return super().__enter__()


def test_a_request_that_finds_every_slot_taken_waits_then_gets_503_with_retry_after() -> None:
    store = InMemoryStore()
    entered, release = threading.Event(), threading.Event()
    settings = make_settings(db_pool_size=1, db_pool_timeout_seconds=0.2)
    container = memory_container(store, settings=settings)
    container.unit_of_work.override(providers.Factory(HeldUnitOfWork, store, entered, release))
    app = create_app(container)
    alice = bearer("alice")

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            holder = asyncio.create_task(client.get("/api/tasks", headers=alice))
            await asyncio.to_thread(entered.wait, 5)
            refused = await client.get("/api/tasks", headers=alice)
            release.set()
            return await holder, refused

    held, refused = asyncio.run(scenario())

    assert held.status_code == 200
    assert refused.status_code == 503
    assert refused.json() == {"detail": "Service temporarily unavailable"}
    assert refused.headers["Retry-After"] == "5"


def test_a_request_refused_with_401_never_waits_at_the_gate() -> None:
    store = InMemoryStore()
    entered, release = threading.Event(), threading.Event()
    settings = make_settings(db_pool_size=1, db_pool_timeout_seconds=5)
    container = memory_container(store, settings=settings)
    container.unit_of_work.override(providers.Factory(HeldUnitOfWork, store, entered, release))
    app = create_app(container)

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            holder = asyncio.create_task(client.get("/api/tasks", headers=bearer("alice")))
            await asyncio.to_thread(entered.wait, 5)
            refused = await asyncio.wait_for(client.get("/api/tasks"), timeout=1)
            release.set()
            await holder
            return refused

    assert asyncio.run(scenario()).status_code == 401


def test_the_threadpool_is_sized_from_the_pool_size_when_the_app_starts() -> None:
    settings = make_settings(db_pool_size=3)
    app = create_app(memory_container(InMemoryStore(), settings=settings))

    with TestClient(app) as client:
        assert client.portal is not None
        tokens = client.portal.call(_default_thread_tokens)

    assert tokens == 3 + SPARE_THREADS


async def _default_thread_tokens() -> float:
    return anyio.to_thread.current_default_thread_limiter().total_tokens


def test_a_call_runs_on_a_gate_thread_in_the_callers_context() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    gate = DatabaseGate(slots=2, timeout=1)

    async def scenario() -> tuple[str, str]:
        request_id.set("r-1")
        return await gate.run(lambda: (request_id.get(), threading.current_thread().name))

    try:
        seen, thread = asyncio.run(scenario())
    finally:
        gate.close()

    assert seen == "r-1"
    assert thread.startswith("todo-db")


def test_a_cancelled_call_keeps_its_slot_until_its_thread_is_done() -> None:
    gate = DatabaseGate(slots=1, timeout=0.2)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "first"

    async def scenario() -> str:
        first = asyncio.create_task(gate.run(slow))
        await asyncio.to_thread(started.wait, 5)
        first.cancel()  # the client hung up; its thread still holds a connection
        with contextlib.suppress(asyncio.CancelledError):
            await first
        with pytest.raises(StorageUnavailable):
            await gate.run(lambda: "refused")
        release.set()
        return await gate.run(lambda: "after")  # admitted once the thread is done

    try:
        assert asyncio.run(scenario()) == "after"
    finally:
        gate.close()


def test_a_call_that_raises_hands_its_error_to_the_caller_and_frees_its_slot() -> None:
    gate = DatabaseGate(slots=1, timeout=0.2)

    def failing() -> str:
        raise LookupError("from the thread")

    async def scenario() -> str:
        with pytest.raises(LookupError, match="from the thread"):
            await gate.run(failing)
        return await gate.run(lambda: "next")  # the slot is free again

    try:
        assert asyncio.run(scenario()) == "next"
    finally:
        gate.close()


def test_closing_the_gate_ends_its_threads_and_a_later_call_starts_new_ones() -> None:
    gate = DatabaseGate(slots=2, timeout=1)

    def gate_threads() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if thread.name.startswith("todo-db")}

    others = gate_threads()  # of apps other tests left open
    assert asyncio.run(gate.run(lambda: "first")) == "first"
    started = gate_threads() - others
    assert len(started) == 2
    gate.close()
    assert not any(thread.is_alive() for thread in started)
    try:
        assert asyncio.run(gate.run(lambda: "again")) == "again"
    finally:
        gate.close()
