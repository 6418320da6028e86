"""Under concurrency above the pool's size the service opens no database session.

Requests beyond ``DB_POOL_SIZE`` wait at the gate in the event loop; the pool
never has to open an overflow connection (which SQLAlchemy would close again
when returned, so every burst would reconnect). Counted with the engine's own
``connect`` event, which fires once for each new database session it opens:
over rounds of requests far above the pool's size, no more sessions are ever
opened than the pool holds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.integration.http.conftest import http_client, postgres_container
from todo_bootstrap.container import Container
from todo_http.app import create_app

pytestmark = pytest.mark.postgres

POOL_SIZE = 4
ROUNDS = 3


@pytest.fixture
def container(postgres_url: str) -> Iterator[Container]:
    container = postgres_container(postgres_url, db_pool_size=POOL_SIZE)
    yield container
    container.engine().dispose()


@pytest.fixture
def sessions_opened(container: Container) -> Iterator[list[int]]:
    """How many database sessions the service's engine has opened so far."""
    opened = [0]

    def count(*_args: Any) -> None:
        opened[0] += 1

    engine = container.engine()
    event.listen(engine, "connect", count)
    yield opened
    event.remove(engine, "connect", count)


async def _mixed_load(app: FastAPI, auth: dict[str, str], concurrency: int) -> Counter[int]:
    async with http_client(app) as client:
        created = await client.post("/api/tasks", json={"title": "seed"}, headers=auth)
        url = created.headers["Location"]
        statuses: Counter[int] = Counter()
        for _ in range(ROUNDS):
            requests = [
                client.get(url, headers=auth)
                if n % 4 == 0
                else client.get("/api/tasks?limit=5", headers=auth)
                if n % 4 == 1
                else client.post("/api/tasks", json={"title": f"t{n}"}, headers=auth)
                if n % 4 == 2
                else client.patch(url, json={"description": f"d{n}"}, headers=auth)
                for n in range(concurrency)
            ]
            statuses.update(response.status_code for response in await asyncio.gather(*requests))
    return statuses


@pytest.mark.parametrize("concurrency", [16, 64])
def test_a_load_above_the_pool_size_opens_no_session_after_warm_up(
    container: Container, sessions_opened: list[int], auth: dict[str, str], concurrency: int
) -> None:
    app = create_app(container)

    statuses = asyncio.run(_mixed_load(app, auth, concurrency))
    statuses += asyncio.run(_mixed_load(app, auth, concurrency))

    assert set(statuses) <= {200, 201}, statuses
    # Every session ever opened is one of the pool's: none was opened and closed again.
    assert 1 <= sessions_opened[0] <= POOL_SIZE
