"""Issue 11: authentication before routing, a `sub` storage refuses, cache headers, rate limit.

Each of these failed on main: `/api/tasks/tasks/<id>` answered 404/405 without
a token, a 405 named only one route's methods in `Allow`, a `sub` with NUL
listed fine and was a 422 on create, no response said `private, no-cache`,
and nothing counted a user's requests.
"""

from __future__ import annotations

import uuid

import anyio
import httpx
import pytest
from dependency_injector import providers

from tests.unit.http.support import TestClient, bearer, make_settings, memory_container, serve
from tests.unit.mcp.test_mcp_http import LIST_TOOLS, MCP_HEADERS, raw_client, running
from todo_adapters.memory import InMemoryStore
from todo_adapters.rate_limit import UserRateLimiter
from todo_adapters.settings import SettingsError
from todo_bootstrap.app import build_app
from todo_bootstrap.container import Container

ALICE = bearer("alice")
TASK = str(uuid.uuid4())

#: Per-user routes of a user named `tasks` (shadowed by the short routes), unknown paths
#: and methods: every one is a 401 without a token.
ANONYMOUS = [
    ("DELETE", f"/api/tasks/tasks/{TASK}"),
    ("GET", f"/api/tasks/tasks/{TASK}"),
    ("PUT", f"/api/tasks/tasks/{TASK}"),
    ("PATCH", f"/api/tasks/tasks/{TASK}"),
    ("PATCH", f"/api/tasks/tasks/{TASK}/complete"),
    ("GET", "/api/tasks/tasks/stats"),
    ("POST", "/api/tasks/tasks"),
    ("GET", "/api/nothing/here"),
    ("GET", "/api"),
    ("DELETE", "/api/tasks"),
    ("TRACE", "/api/tasks"),
    ("OPTIONS", "/api/tasks"),
    ("POST", "/api/tasks/stats"),
]


@pytest.mark.parametrize(("method", "path"), ANONYMOUS)
def test_any_request_under_api_without_a_valid_token_is_401_whatever_its_path(
    client: TestClient, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        response = client.request(method, path, headers=headers)

        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("DELETE", f"/api/tasks/tasks/{TASK}", 404, None),
        ("POST", "/api/tasks/tasks", 405, "DELETE, GET, PATCH, PUT"),
        ("GET", "/api/nothing/here", 404, None),
        ("DELETE", "/api/tasks", 405, "GET, POST"),
        ("POST", "/api/tasks/stats", 405, "GET"),
        ("POST", f"/api/tasks/{TASK}", 405, "DELETE, GET, PATCH, PUT"),
        ("POST", f"/api/alice/tasks/{TASK}", 405, "DELETE, GET, PATCH, PUT"),
        ("TRACE", f"/api/tasks/{TASK}/complete", 405, "PATCH"),
    ],
)
def test_with_a_valid_token_an_unknown_path_is_404_and_a_wrong_method_405_with_all_of_allow(
    client: TestClient, method: str, path: str, status: int, allow: str | None
) -> None:
    response = client.request(method, path, headers=ALICE)

    assert response.status_code == status, response.text
    assert response.headers.get("Allow") == allow


@pytest.mark.parametrize("sub", ["a\u0000b", "a\u0007b", "a\u0085b", "a\ud800b", "\u007f"])
def test_a_sub_the_storage_cannot_hold_is_an_invalid_token_payload_on_every_route(
    client: TestClient, sub: str
) -> None:
    headers = bearer(sub)

    listed = client.get("/api/tasks", headers=headers)
    created = client.post("/api/tasks", json={"title": "t"}, headers=headers)

    for response in (listed, created):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid token payload"}


def test_a_sub_the_storage_cannot_hold_is_refused_by_the_mcp_endpoint_too() -> None:
    app = build_app(memory_container(InMemoryStore()))

    async def scenario() -> httpx.Response:
        async with running(app), raw_client(app) as client:
            return await client.post(
                "/mcp", json=LIST_TOOLS, headers={**MCP_HEADERS, **bearer("a\u0000b")}
            )

    response = anyio.run(scenario)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token payload"}


def test_authenticated_answers_are_private_no_cache_and_nosniff_and_etags_still_work(
    client: TestClient,
) -> None:
    created = client.post("/api/tasks", json={"title": "t"}, headers=ALICE)
    location = created.headers["Location"]
    etag = created.headers["ETag"]

    fetched = client.get(location, headers=ALICE)
    revalidated = client.get(location, headers={**ALICE, "If-None-Match": etag})
    refused = client.get("/api/tasks")
    health = client.get("/health")

    for response in (created, fetched, revalidated, refused):
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert revalidated.status_code == 304
    assert "Cache-Control" not in health.headers


# --- the rate limit ---------------------------------------------------------------------


def _limited(rate: str, *, now: float = 1_000_000.0) -> Container:
    container = memory_container(InMemoryStore(), settings=make_settings(rate_limit=rate))
    container.rate_limiter.override(providers.Object(UserRateLimiter(rate, clock=lambda: now)))
    return container


def test_a_user_past_the_rate_gets_429_with_exact_headers_and_401s_are_not_counted() -> None:
    with serve(_limited("3/minute")) as client:
        for _ in range(5):
            assert (
                client.get("/api/tasks", headers=bearer("alice", secret="x" * 40)).status_code
                == 401
            )
        answers = [client.get("/api/tasks", headers=ALICE) for _ in range(3)]
        refused = client.post("/api/tasks", json={"title": "t"}, headers=ALICE)
        other = client.get("/api/tasks", headers=bearer("bob"))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert answers[0].headers["RateLimit-Reset"] == "60"
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests"}
    assert {
        name: refused.headers[name]
        for name in ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
    } == {
        "Retry-After": "60",
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "60",
    }
    assert refused.headers["Cache-Control"] == "private, no-cache"
    assert other.status_code == 200


def test_a_refused_request_touches_no_database(store: InMemoryStore) -> None:
    container = _limited("1/minute")
    with serve(container) as client:
        client.get("/api/tasks", headers=ALICE)
        refused = client.post("/api/tasks", json={"title": "never stored"}, headers=ALICE)

    assert refused.status_code == 429
    with container.unit_of_work() as uow:
        assert uow.reader.changes("alice", after=0, limit=10, include_deleted=True).entries == ()


def test_the_mcp_endpoint_counts_against_the_same_rate_and_carries_the_cache_headers() -> None:
    container = _limited("2/minute")
    app = build_app(container)

    async def scenario() -> list[httpx.Response]:
        async with running(app), raw_client(app) as client:
            api = await client.get("/api/tasks", headers=ALICE)
            mcp = [
                await client.post("/mcp", json=LIST_TOOLS, headers={**MCP_HEADERS, **ALICE})
                for _ in range(2)
            ]
            return [api, *mcp]

    api, mcp, refused = anyio.run(scenario)

    assert api.status_code == 200
    assert mcp.status_code == 200
    assert mcp.headers["RateLimit-Remaining"] == "0"
    assert mcp.headers["Cache-Control"] == "private, no-cache"
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json() == {"detail": "Too many requests"}


def test_rate_limit_off_counts_nothing() -> None:
    container = memory_container(InMemoryStore(), settings=make_settings(rate_limit="off"))
    with serve(container) as client:
        response = client.get("/api/tasks", headers=ALICE)

    assert container.rate_limiter() is None
    assert "RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("rate", ["", "fast", "10/fortnight", "-1/minute"])
def test_a_rate_that_does_not_parse_is_a_settings_problem(rate: str) -> None:
    with pytest.raises(SettingsError, match="RATE_LIMIT"):
        make_settings(rate_limit=rate or " ")
