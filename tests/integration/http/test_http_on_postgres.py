"""The HTTP adapter end to end on PostgreSQL: races, an outage, and input PostgreSQL refuses."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.integration.http.conftest import http_client, postgres_container
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import make_engine
from todo_http.app import create_app

pytestmark = pytest.mark.postgres

RACERS = 20


def test_concurrent_conditional_patches_with_the_same_etag_let_exactly_one_through(
    postgres_app: FastAPI, auth: dict[str, str]
) -> None:
    async def scenario() -> tuple[list[int], dict[str, object], list[str]]:
        async with http_client(postgres_app) as client:
            created = await client.post("/api/tasks", json={"title": "race"}, headers=auth)
            url = created.headers["Location"]
            etag = created.headers["ETag"]
            responses = await asyncio.gather(
                *(
                    client.patch(
                        url, json={"title": f"racer {n}"}, headers={**auth, "If-Match": etag}
                    )
                    for n in range(RACERS)
                )
            )
            final = (await client.get(url, headers=auth)).json()
        winners = [r.json()["title"] for r in responses if r.status_code == 200]
        return [r.status_code for r in responses], final, winners

    statuses, final, winners = asyncio.run(scenario())

    assert Counter(statuses) == {200: 1, 412: RACERS - 1}
    assert final["version"] == 2
    assert [final["title"]] == winners


def test_concurrent_unconditional_patches_of_different_fields_lose_nothing(
    postgres_app: FastAPI, auth: dict[str, str]
) -> None:
    async def scenario() -> tuple[list[int], dict[str, object]]:
        async with http_client(postgres_app) as client:
            created = await client.post("/api/tasks", json={"title": "t"}, headers=auth)
            url = created.headers["Location"]
            bodies = [
                {"title": "renamed"},
                {"priority": "high"},
                {"description": "d"},
                {"due_date": "2026-12-01"},
                {"status": "in_progress"},
            ]
            responses = await asyncio.gather(
                *(client.patch(url, json=b, headers=auth) for b in bodies)
            )
            final = (await client.get(url, headers=auth)).json()
        return [r.status_code for r in responses], final

    statuses, final = asyncio.run(scenario())

    assert statuses == [200] * 5
    assert (final["title"], final["priority"], final["description"]) == ("renamed", "high", "d")
    assert (final["due_date"], final["status"]) == ("2026-12-01T00:00:00.000000Z", "in_progress")
    assert final["version"] == 6


@pytest.fixture
def proxied_app(postgres_url: str, proxy: TcpProxy) -> Iterator[FastAPI]:
    container = postgres_container(
        proxy.through(postgres_url),
        db_connect_timeout_seconds=2,
        db_pool_timeout_seconds=2,
        db_pool_size=2,
    )
    yield create_app(container)
    container.engine().dispose()


def test_an_unreachable_database_is_503_with_retry_after_and_service_resumes_when_it_is_back(
    proxied_app: FastAPI, proxy: TcpProxy, auth: dict[str, str]
) -> None:
    async def scenario() -> dict[str, list[object]]:
        seen: dict[str, list[object]] = {}
        async with http_client(proxied_app) as client:
            created = await client.post("/api/tasks", json={"title": "before"}, headers=auth)
            url = created.headers["Location"]
            proxy.cut()
            down = [
                await client.get("/api/tasks", headers=auth),
                await client.get(url, headers=auth),
                await client.post("/api/tasks", json={"title": "during"}, headers=auth),
                await client.patch(url, json={"title": "during"}, headers=auth),
                await client.delete(url, headers=auth),
            ]
            ready_down = await client.get("/health/ready")
            unauthenticated = await client.get("/api/tasks")
            proxy.restore()
            up = await client.get(url, headers=auth)
            listed = await client.get("/api/tasks", headers=auth)
            ready_up = await client.get("/health/ready")
        seen["down"] = [(r.status_code, r.json(), r.headers.get("Retry-After")) for r in down]
        seen["ready"] = [ready_down.status_code, ready_down.json(), ready_up.status_code]
        seen["unauthenticated"] = [unauthenticated.status_code]
        seen["up"] = [up.status_code, up.json()["title"], listed.headers["X-Total-Count"]]
        return seen

    seen = asyncio.run(scenario())

    assert seen["down"] == [
        (503, {"detail": "Service temporarily unavailable"}, "5") for _ in range(5)
    ]
    assert seen["ready"] == [503, {"status": "unavailable", "database": "unreachable"}, 200]
    assert seen["unauthenticated"] == [401]
    assert seen["up"] == [200, "before", "1"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\u0000b"},
        {"title": "t", "description": "a\u0000b"},
    ],
)
def test_a_nul_in_a_field_is_a_422_and_nothing_is_stored(
    postgres_app: FastAPI, postgres_url: str, user: str, auth: dict[str, str], body: object
) -> None:
    async def scenario() -> tuple[int, list[list[str]], int]:
        async with http_client(postgres_app) as client:
            response = await client.post("/api/tasks", json=body, headers=auth)
            search = await client.get("/api/tasks", params={"search": "\u0000"}, headers=auth)
        return (
            response.status_code,
            [i["loc"] for i in response.json()["detail"]],
            search.status_code,
        )

    status, locs, search_status = asyncio.run(scenario())

    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM tasks WHERE user_id = :user"), {"user": user}
            ).scalar_one()
    finally:
        engine.dispose()
    assert status == 422
    assert len(locs) == 1
    assert locs[0][0] == "body"
    assert search_status == 422
    assert stored == 0


def test_timestamps_at_the_edges_round_trip_through_postgresql(
    postgres_app: FastAPI, auth: dict[str, str]
) -> None:
    due_dates = [
        "0001-01-01T00:00:00.000000Z",
        "0196-01-22T03:04:05.000006Z",
        "9999-12-31T23:59:59.999999Z",
    ]

    async def scenario() -> list[str]:
        async with http_client(postgres_app) as client:
            stored = []
            for due_date in due_dates:
                created = await client.post(
                    "/api/tasks", json={"title": "t", "due_date": due_date}, headers=auth
                )
                fetched = await client.get(created.headers["Location"], headers=auth)
                stored.append(fetched.json()["due_date"])
        return stored

    assert asyncio.run(scenario()) == due_dates


def test_twenty_concurrent_completions_of_a_recurring_task_create_one_next_occurrence(
    postgres_app: FastAPI, auth: dict[str, str]
) -> None:
    async def scenario() -> tuple[list[int], list[str | None], dict[str, object]]:
        async with http_client(postgres_app) as client:
            created = await client.post(
                "/api/tasks",
                json={"title": "weekly", "due_date": "2026-12-04", "recurrence": "FREQ=WEEKLY"},
                headers=auth,
            )
            url = created.headers["Location"]
            responses = await asyncio.gather(
                *(
                    client.patch(f"{url}/complete", json={"completed": True}, headers=auth)
                    for _ in range(RACERS)
                )
            )
            listing = await client.get("/api/tasks", headers=auth)
        links = [r.headers.get("Link") for r in responses]
        return [r.status_code for r in responses], links, {"listing": listing.json()}

    statuses, links, seen = asyncio.run(scenario())

    listing = seen["listing"]
    assert isinstance(listing, list)
    assert statuses == [200] * RACERS
    assert len([link for link in links if link]) == 1
    assert len(listing) == 2
    assert sorted(task["status"] for task in listing) == ["completed", "pending"]
