"""``/mcp`` in the served app (in process, in-memory adapter): bearer tokens, users, workers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jose import jwt

from tests.support.mcp_client import TOOL_NAMES, Tools, asgi_tools, http_tools
from tests.unit.http.support import (
    OTHER_SECRET,
    SECRET,
    bearer,
    make_http_settings,
    memory_container,
)
from todo_adapters.memory import InMemoryStore
from todo_bootstrap.app import build_app

MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def served(store: InMemoryStore) -> FastAPI:
    """The app ``todo serve`` serves, over ``store``."""
    return build_app(memory_container(store), http_settings=make_http_settings())


@asynccontextmanager
async def running(*apps: FastAPI) -> AsyncIterator[None]:
    """The apps with their lifespans running (the MCP session managers included)."""
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


@asynccontextmanager
async def raw_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _expired() -> str:
    now = int(time.time())
    return jwt.encode({"sub": "alice", "iat": now - 7200, "exp": now - 3600}, SECRET, "HS256")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic YWxpY2U6cHc=",
        "Bearer",
        "Bearer not-a-token",
        bearer("alice", secret=OTHER_SECRET)["Authorization"],
        f"Bearer {_expired()}",
        f"Bearer {jwt.encode({'exp': int(time.time()) + 60}, SECRET, 'HS256')}",
    ],
    ids=["none", "basic", "empty", "garbage", "other-secret", "expired", "no-sub"],
)
def test_a_request_without_a_valid_token_is_refused_as_the_api_refuses_it(
    authorization: str | None,
) -> None:
    app = served(InMemoryStore())
    headers = {**MCP_HEADERS, **({"Authorization": authorization} if authorization else {})}

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with running(app), raw_client(app) as client:
            mcp = await client.post("/mcp", json=LIST_TOOLS, headers=headers)
            api = await client.get("/api/tasks", headers=headers)
            return mcp, api

    mcp, api = anyio.run(scenario)

    assert mcp.status_code == 401
    assert mcp.headers["WWW-Authenticate"] == "Bearer"
    assert mcp.json() == api.json()
    assert mcp.json()["detail"] in {
        "Not authenticated",
        "Invalid or expired token",
        "Invalid token payload",
    }


def test_the_sdk_client_without_a_token_gets_no_session() -> None:
    app = served(InMemoryStore())

    async def scenario() -> None:
        async with running(app), asgi_tools(app, headers={}):
            pass  # pragma: no cover - the session never starts

    with pytest.raises(ExceptionGroup) as raised:
        anyio.run(scenario)

    assert raised.group_contains(httpx.HTTPStatusError, match="401 Unauthorized")


def test_tool_calls_act_for_the_tokens_subject_and_meet_the_http_api(store: InMemoryStore) -> None:
    app = served(store)

    async def scenario() -> dict[str, Any]:
        async with (
            running(app),
            asgi_tools(app, bearer("alice")) as alice,
            asgi_tools(app, bearer("bob")) as bob,
            raw_client(app) as http,
        ):
            names = [tool.name for tool in (await alice.session.list_tools()).tools]
            over_mcp = await alice.ok("add_task", title="From the assistant")
            over_http = (
                await http.post(
                    "/api/tasks", json={"title": "From the web"}, headers=bearer("alice")
                )
            ).json()
            return {
                "names": names,
                "over_mcp": over_mcp,
                "api_sees": (
                    await http.get(f"/api/tasks/{over_mcp['id']}", headers=bearer("alice"))
                ).json(),
                "mcp_sees": await alice.ok("get_task", task_id=over_http["id"]),
                "over_http": over_http,
                "bob_total": (await bob.ok("list_tasks"))["total"],
                "bob_refused": await bob.refused("get_task", task_id=over_mcp["id"]),
                "bob_as_alice": await bob.refused("list_tasks", user_id="alice"),
            }

    seen = anyio.run(scenario)

    assert tuple(seen["names"]) == TOOL_NAMES
    assert seen["over_mcp"]["user_id"] == "alice"
    assert seen["api_sees"] == seen["over_mcp"]
    assert seen["mcp_sees"] == seen["over_http"]
    assert seen["bob_total"] == 0
    assert seen["bob_refused"] == "Task not found"
    assert seen["bob_as_alice"] == "Not authorized to access this resource"


def test_any_worker_answers_any_request_without_sticky_sessions(store: InMemoryStore) -> None:
    workers = [served(store), served(store)]
    turn = iter(range(1_000_000))

    async def round_robin(request: httpx.Request) -> httpx.Response:
        app = workers[next(turn) % len(workers)]
        return await httpx.ASGITransport(app=app).handle_async_request(request)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        transport = httpx.MockTransport(round_robin)
        async with (
            running(*workers),
            httpx.AsyncClient(
                transport=transport, base_url="http://lb", headers=bearer("alice")
            ) as http,
        ):
            async with http_tools("http://lb/mcp", http) as tools:
                created = await tools.ok("add_task", title="Across workers")
                listed = await tools.ok("list_tasks")
                done = await tools.ok("complete_task", task_id=created["id"])
            alone = await http.post(
                "/mcp",
                headers=MCP_HEADERS,
                json={
                    "jsonrpc": "2.0",
                    "id": 7,
                    "method": "tools/call",
                    "params": {"name": "get_task", "arguments": {"task_id": created["id"]}},
                },
            )
            return listed, done, alone.json()

    listed, done, alone = anyio.run(scenario)

    assert next(turn) > 4  # the requests really went to both workers
    assert listed["total"] == 1
    assert done["completed"] is True
    assert alone["result"]["structuredContent"] == done  # no initialize, no session id needed


def test_the_mcp_endpoint_stays_out_of_the_openapi_document(store: InMemoryStore) -> None:
    app = served(store)

    assert not any(path.startswith("/mcp") for path in app.openapi()["paths"])


@dataclass(frozen=True)
class Step:
    """One tool call of a user: on their own tasks, or aimed at the other user's."""

    action: str
    pick: int


ACTIONS = (
    "add",
    "list",
    "stats",
    "update_own",
    "complete_own",
    "delete_own",
    "get_other",
    "update_other",
    "complete_other",
    "delete_other",
    "as_other",
)
#: Rounds: in each, both users make one call at the same time.
ROUNDS = st.lists(
    st.tuples(*[st.builds(Step, st.sampled_from(ACTIONS), st.integers(0, 50))] * 2),
    min_size=1,
    max_size=8,
)


@pytest.fixture(scope="module")
def live_app() -> Iterator[tuple[anyio.from_thread.BlockingPortal, FastAPI]]:
    """One app kept running across examples, its event loop in a portal thread."""
    app = served(InMemoryStore())
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        yield portal, app


class Player:
    """One user's session, and what that user owns (task id -> version)."""

    def __init__(self, user: str, tools: Tools) -> None:
        self.user = user
        self.tools = tools
        self.owned: dict[str, int] = {}

    async def play(self, step: Step, other: Player, theirs: list[str]) -> None:
        """Make the call; assert it saw and changed nothing of ``other``'s."""
        tools, mine = self.tools, sorted(self.owned)
        if step.action == "add":
            task = await tools.ok("add_task", title=f"task {step.pick}")
            assert task["user_id"] == self.user
            self.owned[task["id"]] = task["version"]
        elif step.action == "list":
            page = await tools.ok("list_tasks", limit=100)
            assert {task["id"]: task["version"] for task in page["tasks"]} == self.owned
            assert {task["user_id"] for task in page["tasks"]} <= {self.user}
        elif step.action == "stats":
            assert (await tools.ok("task_stats"))["total"] == len(self.owned)
        elif step.action == "as_other":
            refusal = await tools.refused("list_tasks", user_id=other.user)
            assert refusal == "Not authorized to access this resource"
        elif step.action == "delete_own" and mine:
            task_id = mine[step.pick % len(mine)]
            await tools.ok("delete_task", task_id=task_id)
            del self.owned[task_id]
        elif step.action in ("update_own", "complete_own") and mine:
            task_id = mine[step.pick % len(mine)]
            if step.action == "update_own":
                task = await tools.ok("update_task", task_id=task_id, title=f"renamed {step.pick}")
            else:
                task = await tools.ok("complete_task", task_id=task_id)
            assert task["user_id"] == self.user
            self.owned[task_id] = task["version"]
        elif step.action.endswith("_other") and theirs:
            task_id = theirs[step.pick % len(theirs)]
            name = f"{step.action.removesuffix('_other')}_task"
            extra = {"title": "hijacked"} if name == "update_task" else {}
            assert await tools.refused(name, task_id=task_id, **extra) == "Task not found"


async def _play(app: FastAPI, rounds: list[tuple[Step, Step]]) -> None:
    users = [f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"]
    async with (
        asgi_tools(app, bearer(users[0])) as first,
        asgi_tools(app, bearer(users[1])) as second,
    ):
        players = [Player(users[0], first), Player(users[1], second)]
        for steps in rounds:
            snapshot = [sorted(player.owned) for player in players]
            async with anyio.create_task_group() as group:
                for me, step in enumerate(steps):
                    group.start_soon(players[me].play, step, players[1 - me], snapshot[1 - me])
        for player in players:
            page = await player.tools.ok("list_tasks", limit=100)
            assert {task["id"]: task["version"] for task in page["tasks"]} == player.owned
            assert all("hijacked" not in task["title"] for task in page["tasks"])


@settings(
    max_examples=max(10, settings.default.max_examples // 5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=ROUNDS)
def test_a_users_tool_calls_never_see_or_change_the_other_users_tasks(
    live_app: tuple[anyio.from_thread.BlockingPortal, FastAPI], rounds: list[tuple[Step, Step]]
) -> None:
    portal, app = live_app

    portal.call(_play, app, rounds)


def test_a_tool_result_is_also_json_text(store: InMemoryStore) -> None:
    app = served(store)

    async def scenario() -> Any:
        async with running(app), raw_client(app) as client:
            response = await client.post(
                "/mcp",
                headers={**MCP_HEADERS, **bearer("alice")},
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "tools/call",
                    "params": {"name": "add_task", "arguments": {"title": "Text too"}},
                },
            )
            return response.headers["content-type"], response.json()["result"]

    content_type, result = anyio.run(scenario)

    assert content_type.startswith("application/json")
    assert result["isError"] is False
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_only_post_reaches_the_stateless_endpoint_and_only_after_authentication(
    store: InMemoryStore, method: str
) -> None:
    app = served(store)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with running(app), raw_client(app) as client:
            anonymous = await client.request(method, "/mcp", headers=MCP_HEADERS)
            signed = await client.request(method, "/mcp", headers={**MCP_HEADERS, **bearer("a")})
            return anonymous, signed

    anonymous, signed = anyio.run(scenario)

    assert anonymous.status_code == 401
    assert signed.status_code == 405
    assert signed.headers["Allow"] == "POST"
    assert signed.json() == {"detail": "Method Not Allowed"}
