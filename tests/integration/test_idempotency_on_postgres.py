"""Idempotency-Key on PostgreSQL: concurrent retries, and a connection cut mid-request."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers
from fastapi import FastAPI
from sqlalchemy import Engine, text

from tests.integration.conftest import sql_uow_factory
from tests.integration.http.conftest import http_client, postgres_container
from tests.support.builders import fresh_user_id
from tests.support.held_commit import CommitGate, HeldCommit
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.jwt import mint_hs256_token
from todo_adapters.sql import SqlUnitOfWork, make_engine
from todo_core.edits import TaskDraft
from todo_core.errors import StorageUnavailable
from todo_core.idempotency import Once, StoredResponse
from todo_core.services import TaskService, Written
from todo_http.app import create_app

pytestmark = pytest.mark.postgres

RETRIES = 20
SECRET = "an-http-test-secret-that-is-long-enough-0123456789"


@pytest.fixture
def app(postgres_url: str) -> Iterator[FastAPI]:
    container = postgres_container(postgres_url, db_pool_size=RETRIES + 2)
    yield create_app(container)
    container.engine().dispose()


def test_the_same_post_retried_20_times_at_once_creates_exactly_one_task(app: FastAPI) -> None:
    user = fresh_user_id()
    auth = {"Authorization": f"Bearer {mint_hs256_token(secret=SECRET, subject=user)}"}
    headers = {**auth, "Idempotency-Key": '"retry-me"'}

    async def scenario() -> tuple[list[Any], list[Any]]:
        async with http_client(app) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/api/tasks", json={"title": "once"}, headers=headers)
                    for _ in range(RETRIES)
                )
            )
            listed = (await client.get("/api/tasks", headers=auth)).json()
        return list(answers), listed

    answers, listed = asyncio.run(scenario())

    statuses = Counter(answer.status_code for answer in answers)
    print(f"{RETRIES} concurrent retries: {dict(statuses)}")
    assert set(statuses) <= {201, 409}
    assert len(listed) == 1
    created = [answer.json() for answer in answers if answer.status_code == 201]
    assert all(body == listed[0] for body in created)
    # One answer is the first request's own 201; every other 201 is a replay of it.
    first = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1


#: What "promptly" means for the answer to a request whose key is in use.
PROMPT = 1.0


def test_the_same_key_while_the_first_request_is_open_is_a_prompt_409_then_a_replay(
    postgres_url: str,
) -> None:
    gate = CommitGate()
    container = postgres_container(postgres_url, db_pool_size=4)
    container.unit_of_work.override(providers.Factory(HeldCommit, container.engine, gate))
    app = create_app(container)
    user = fresh_user_id()
    auth = {"Authorization": f"Bearer {mint_hs256_token(secret=SECRET, subject=user)}"}
    headers = {**auth, "Idempotency-Key": '"held-open"'}

    async def scenario() -> tuple[Any, Any, float, Any, Any]:
        async with http_client(app) as client:
            first = asyncio.create_task(
                client.post("/api/tasks", json={"title": "once"}, headers=headers)
            )
            # The first request has sent its key and its task, and waits before COMMIT.
            assert await asyncio.to_thread(gate.reached.wait, 5)
            started = time.monotonic()
            second = await client.post("/api/tasks", json={"title": "once"}, headers=headers)
            elapsed = time.monotonic() - started
            gate.release()
            first_answer = await first
            retry = await client.post("/api/tasks", json={"title": "once"}, headers=headers)
            listed = (await client.get("/api/tasks", headers=auth)).json()
        return first_answer, second, elapsed, retry, listed

    try:
        first, second, elapsed, retry, listed = asyncio.run(scenario())
    finally:
        gate.release()
        container.engine().dispose()

    print(f"same key while the first is open: {second.status_code} in {elapsed * 1000:.0f} ms")
    assert (second.status_code, second.json()) == (
        409,
        {"detail": "A request with this Idempotency-Key is in progress"},
    )
    assert elapsed < PROMPT
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert (retry.status_code, retry.headers.get("Idempotent-Replayed")) == (201, "true")
    assert retry.json() == first.json() == listed[0]
    assert len(listed) == 1


def _once(key: str) -> Once:
    def respond(written: Written) -> StoredResponse:
        return StoredResponse(201, f'{{"id": "{written.task.id}"}}')

    return Once(key, "fp", respond)


class CutBeforeCommit(SqlUnitOfWork):
    """Cuts the connection after the statements went out, just before ``COMMIT``."""

    def __init__(self, engine: Engine, proxy: TcpProxy) -> None:
        super().__init__(engine)
        self._proxy = proxy

    def commit(self) -> None:
        self._proxy.cut()
        super().commit()


def _stored(engine: Engine, user: str) -> tuple[int, int]:
    with engine.connect() as connection:
        tasks = connection.execute(
            text("SELECT count(*) FROM tasks WHERE user_id = :u"), {"u": user}
        ).scalar_one()
        keys = connection.execute(
            text("SELECT count(*) FROM idempotency_keys WHERE user_id = :u"), {"u": user}
        ).scalar_one()
    return int(tasks), int(keys)


def test_a_key_and_its_change_vanish_together_when_the_connection_is_cut_before_commit(
    postgres_url: str, postgres_engine: Engine, proxy: TcpProxy
) -> None:
    engine = make_engine(proxy.through(postgres_url))
    service = TaskService(uow_factory=lambda: CutBeforeCommit(engine, proxy))
    user = fresh_user_id()
    try:
        with pytest.raises(StorageUnavailable):
            service.create_once(actor=user, draft=TaskDraft(title="lost"), once=_once("k"))
    finally:
        proxy.restore()
        engine.dispose()

    assert _stored(postgres_engine, user) == (0, 0)


def test_a_key_and_its_change_survive_together_when_the_connection_is_cut_after_commit(
    postgres_url: str, postgres_engine: Engine, proxy: TcpProxy
) -> None:
    engine = make_engine(proxy.through(postgres_url), ping_after_idle_seconds=0)
    service = TaskService(uow_factory=sql_uow_factory(engine))
    user = fresh_user_id()
    try:
        first = service.create_once(actor=user, draft=TaskDraft(title="kept"), once=_once("k"))
        proxy.cut()
        proxy.restore()
        again = service.create_once(actor=user, draft=TaskDraft(title="kept"), once=_once("k"))
    finally:
        engine.dispose()

    assert _stored(postgres_engine, user) == (1, 1)
    assert again.replayed
    assert again.response == first.response
