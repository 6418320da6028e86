"""The MCP tools end to end on PostgreSQL: over streamable HTTP against the served app, and
over stdio against ``todo mcp``, each meeting the HTTP API on the same database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from jose import jwt

from tests.integration.mcp.conftest import LiveServer, StdioCommand
from tests.support.builders import fresh_user_id
from tests.support.mcp_client import TOOL_NAMES, Tools
from tests.unit.http.support import OTHER_SECRET, SECRET, bearer

pytestmark = pytest.mark.postgres


async def drive_every_tool(tools: Tools) -> dict[str, Any]:
    """Create, list with filters, get, update, complete, count, delete: what each returned."""
    listed = (await tools.session.list_tools()).tools
    report = await tools.ok(
        "add_task", title="Write the report", due_date="2020-01-01", priority="high", tags=["Work"]
    )
    call = await tools.ok("add_task", title="Call the bank", description="about the loan")
    seen: dict[str, Any] = {
        "names": [tool.name for tool in listed],
        "schemas": {tool.name: (tool.inputSchema, tool.outputSchema) for tool in listed},
        "high": await tools.ok("list_tasks", priority="high"),
        "overdue": await tools.ok("list_tasks", overdue=True, status=["pending", "in_progress"]),
        "search": await tools.ok("list_tasks", search="LOAN", sort="title", limit=1),
        "tagged": await tools.ok("list_tasks", tag="work"),
        "tags": await tools.ok("list_tags"),
        "got": await tools.ok("get_task", task_id=call["id"]),
        "updated": await tools.ok(
            "update_task", task_id=call["id"], status="in_progress", description=None
        ),
        "completed": await tools.ok("complete_task", task_id=report["id"]),
        "stats": await tools.ok("task_stats"),
        "deleted": await tools.ok("delete_task", task_id=call["id"]),
        "gone": await tools.refused("get_task", task_id=call["id"]),
        "left": await tools.ok("list_tasks", status="all"),
    }
    seen["created"] = (report, call)
    return seen


def check_every_tool(seen: dict[str, Any], user: str) -> None:
    report, call = seen["created"]
    assert tuple(seen["names"]) == TOOL_NAMES
    for name, (input_schema, output_schema) in seen["schemas"].items():
        assert input_schema["type"] == "object", name
        assert output_schema["type"] == "object", name
    assert seen["schemas"]["add_task"][0]["required"] == ["title"]
    assert (report["user_id"], report["due_date"]) == (user, "2020-01-01T00:00:00.000000Z")
    assert [task["id"] for task in seen["high"]["tasks"]] == [report["id"]]
    assert [task["id"] for task in seen["overdue"]["tasks"]] == [report["id"]]
    assert [task["id"] for task in seen["search"]["tasks"]] == [call["id"]]
    assert [task["id"] for task in seen["tagged"]["tasks"]] == [report["id"]]
    assert seen["tags"] == {"tags": [{"name": "Work", "count": 1}]}
    assert seen["got"] == call
    assert (seen["updated"]["status"], seen["updated"]["description"]) == ("in_progress", None)
    assert seen["completed"]["completed"] is True
    assert seen["stats"] == {
        "total": 2,
        "pending": 0,
        "in_progress": 1,
        "completed": 1,
        "overdue": 0,
        "by_priority": {"low": 0, "medium": 1, "high": 1},
        "by_tag": {"Work": 1},
    }
    assert seen["deleted"] == {"id": call["id"], "deleted": True}
    assert seen["gone"] == "Task not found"
    assert [task["id"] for task in seen["left"]["tasks"]] == [report["id"]]


async def meet_the_http_api(tools: Tools, server: LiveServer, user: str) -> tuple[Any, ...]:
    """A task made by each side, read by the other."""
    async with server.client(user) as http:
        over_mcp = await tools.ok("add_task", title="Made by the assistant")
        over_http = (await http.post("/api/tasks", json={"title": "Made in the browser"})).json()
        api_sees = (await http.get(f"/api/tasks/{over_mcp['id']}")).json()
        mcp_sees = await tools.ok("get_task", task_id=over_http["id"])
        api_done = (await http.patch(f"/api/tasks/{over_mcp['id']}/complete")).json()
        mcp_done = await tools.ok("get_task", task_id=over_mcp["id"])
    return over_mcp, api_sees, over_http, mcp_sees, api_done, mcp_done


def check_they_meet(met: tuple[Any, ...]) -> None:
    over_mcp, api_sees, over_http, mcp_sees, api_done, mcp_done = met
    assert api_sees == over_mcp
    assert mcp_sees == over_http
    assert mcp_done == api_done
    assert mcp_done["completed"] is True


def test_over_streamable_http_every_tool_works_and_meets_the_http_api(
    live_server: LiveServer,
) -> None:
    user = fresh_user_id("mcp-http")

    async def scenario() -> tuple[dict[str, Any], tuple[Any, ...]]:
        async with live_server.tools(user) as tools:
            return await drive_every_tool(tools), await meet_the_http_api(tools, live_server, user)

    seen, met = anyio.run(scenario)

    check_every_tool(seen, user)
    check_they_meet(met)


def test_over_stdio_every_tool_works_and_meets_the_http_api(
    stdio_command: StdioCommand, live_server: LiveServer
) -> None:
    user = fresh_user_id("mcp-stdio")

    async def scenario() -> tuple[dict[str, Any], tuple[Any, ...]]:
        async with stdio_command.tools(user) as tools:
            return await drive_every_tool(tools), await meet_the_http_api(tools, live_server, user)

    seen, met = anyio.run(scenario)

    check_every_tool(seen, user)
    check_they_meet(met)


def _expired(user: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now - 7200, "exp": now - 3600}, SECRET, "HS256")


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Not authenticated"),
        ({"Authorization": "Bearer not.a.token"}, "Invalid or expired token"),
        (bearer("alice", secret=OTHER_SECRET), "Invalid or expired token"),
        ({"Authorization": f"Bearer {_expired('alice')}"}, "Invalid or expired token"),
    ],
    ids=["no-token", "bad-token", "wrong-key", "expired"],
)
def test_over_streamable_http_a_request_without_a_valid_token_is_refused(
    live_server: LiveServer, headers: dict[str, str], detail: str
) -> None:
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}

    response = httpx.post(
        f"{live_server.base_url}/mcp",
        json=listing,
        headers={"Accept": "application/json, text/event-stream", **headers},
        timeout=30,
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": detail}


def test_over_streamable_http_a_user_id_naming_someone_else_is_refused(
    live_server: LiveServer,
) -> None:
    user, other = fresh_user_id("mcp-a"), fresh_user_id("mcp-b")

    async def scenario() -> tuple[str, str, int]:
        async with live_server.tools(other) as theirs:
            task = await theirs.ok("add_task", title="Not yours")
        async with live_server.tools(user) as tools:
            as_other = await tools.refused("list_tasks", user_id=other)
            reach = await tools.refused("complete_task", task_id=task["id"], user_id=user)
            mine = (await tools.ok("list_tasks", user_id=user))["total"]
        return as_other, reach, mine

    as_other, reach, mine = anyio.run(scenario)

    assert as_other == "Not authorized to access this resource"
    assert reach == "Task not found"
    assert mine == 0


def test_over_stdio_the_database_being_down_is_a_tool_error_and_the_session_goes_on(
    stdio_command: StdioCommand,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    async def scenario() -> tuple[str, str, list[str]]:
        async with stdio_command.tools("someone", database_url=nowhere) as tools:
            added = await tools.refused("add_task", title="x")
            listed = await tools.refused("list_tasks")
            names = [tool.name for tool in (await tools.session.list_tools()).tools]
        return added, listed, names

    added, listed, names = anyio.run(scenario)

    assert added == listed
    assert added.startswith("Service temporarily unavailable: the task database cannot be reached")
    assert tuple(names) == TOOL_NAMES


EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "assistant_session.py"


def test_the_example_session_prints_its_transcript_against_the_served_app(
    live_server: LiveServer, tmp_path: Path
) -> None:
    user = fresh_user_id("mcp-example")
    token = bearer(user)["Authorization"].removeprefix("Bearer ")

    result = subprocess.run(
        [sys.executable, str(EXAMPLE), f"{live_server.base_url}/mcp", token, "--title", "Review"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )

    methods = [line for line in result.stdout.splitlines() if '"method": ' in line]
    assert [line.split('"method": ')[1].strip('",') for line in methods] == [
        "initialize",
        "notifications/initialized",
        "tools/list",
        "tools/call",
        "tools/call",
        "tools/call",
    ]
    assert result.stdout.splitlines()[-1].startswith("completed: Review (")
    assert token not in result.stdout
