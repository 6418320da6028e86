"""The MCP SDK's own client, over each transport, with shortcuts for the tests.

``Tools.ok`` asserts a tool succeeded and that its JSON text says the same as
its structured content, which must match the tool's published output schema;
``Tools.refused`` asserts a tool error and returns its message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import CallToolResult, TextContent

#: The tools every transport lists.
TOOL_NAMES = (
    "add_task",
    "list_tasks",
    "get_task",
    "update_task",
    "complete_task",
    "delete_task",
    "task_stats",
    "list_tags",
)


def text_of(result: CallToolResult) -> str:
    """The one text block of a result."""
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


class Tools:
    """A client session, with the output schemas it listed."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.output_schemas: dict[str, dict[str, Any]] = {}

    async def load(self) -> Tools:
        listed = await self.session.list_tools()
        self.output_schemas = {tool.name: tool.outputSchema or {} for tool in listed.tools}
        return self

    async def call(self, name: str, **arguments: Any) -> CallToolResult:
        return await self.session.call_tool(name, arguments)

    async def ok(self, name: str, **arguments: Any) -> dict[str, Any]:
        """The structured content of a successful call."""
        result = await self.call(name, **arguments)
        assert not result.isError, text_of(result)
        document = result.structuredContent
        assert document is not None
        assert json.loads(text_of(result)) == document
        jsonschema_rs.validate(self.output_schemas[name], document)
        return document

    async def refused(self, name: str, **arguments: Any) -> str:
        """The message of a tool error."""
        result = await self.call(name, **arguments)
        assert result.isError, result.structuredContent
        assert result.structuredContent is None
        return text_of(result)


@asynccontextmanager
async def memory_tools(server: FastMCP[Any]) -> AsyncIterator[Tools]:
    """A session with ``server`` in this process (the SDK's in-memory transport)."""
    async with create_connected_server_and_client_session(server) as session:
        yield await Tools(session).load()


@asynccontextmanager
async def http_tools(url: str, http: httpx.AsyncClient) -> AsyncIterator[Tools]:
    """A session over streamable HTTP at ``url`` through ``http`` (its headers carry the token)."""
    async with (
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield await Tools(session).load()


@asynccontextmanager
async def asgi_tools(app: Any, headers: dict[str, str], path: str = "/mcp") -> AsyncIterator[Tools]:
    """A session over streamable HTTP with an ASGI app in this process (its lifespan running)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http,
        http_tools(f"http://testserver{path}", http) as tools,
    ):
        yield tools


@asynccontextmanager
async def stdio_tools(
    command: str, *args: str, env: dict[str, str], cwd: Path, errlog: Any
) -> AsyncIterator[Tools]:
    """A session with a server process started as ``command args`` (``todo mcp --user U``)."""
    parameters = StdioServerParameters(command=command, args=list(args), env=env, cwd=cwd)
    async with (
        stdio_client(parameters, errlog=errlog) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield await Tools(session).load()
