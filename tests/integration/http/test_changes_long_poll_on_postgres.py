"""The long poll on PostgreSQL: waiting requests hold no database connection."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from tests.integration.http.conftest import http_client, postgres_container
from todo_http.app import create_app
from todo_http.changes import Waiting

pytestmark = pytest.mark.postgres

WAITERS = 50


def test_fifty_waiting_requests_hold_no_database_connection_and_all_wake_on_a_change(
    postgres_url: str, auth: dict[str, str]
) -> None:
    # A pool (and gate) big enough that waiters *could* each hold a connection.
    container = postgres_container(postgres_url, db_pool_size=WAITERS + 10)
    app = create_app(container)
    engine = container.engine()
    waiting: Waiting = app.state.change_waiting

    async def scenario() -> tuple[list[int], list[int], list[dict[str, object]]]:
        async with http_client(app) as client:
            token = (await client.get("/api/tasks/changes", headers=auth)).json()["next"]
            polls = [
                asyncio.create_task(
                    client.get(
                        "/api/tasks/changes",
                        params={"since": token, "wait": 10},
                        headers=auth,
                        timeout=30,
                    )
                )
                for _ in range(WAITERS)
            ]
            while waiting.count < WAITERS:
                await asyncio.sleep(0.01)
            samples, counts = [], []
            for _ in range(150):  # 1.5 s of waiting, several polls each
                samples.append(engine.pool.checkedout())  # type: ignore[attr-defined]
                counts.append(waiting.count)
                await asyncio.sleep(0.01)
            created = await client.post("/api/tasks", json={"title": "news"}, headers=auth)
            answers = await asyncio.wait_for(asyncio.gather(*polls), timeout=5)
            assert created.status_code == 201
        return samples, counts, [answer.json() for answer in answers]

    try:
        samples, counts, bodies = asyncio.run(scenario())
    finally:
        engine.dispose()

    assert min(counts) == WAITERS
    print(
        f"checked-out connections while {WAITERS} wait: max {max(samples)}, "
        f"mean {statistics.mean(samples):.2f}"
    )
    assert max(samples) <= 5
    assert statistics.mean(samples) < 1
    assert all(len(body["changed"]) == 1 for body in bodies)  # type: ignore[arg-type]
