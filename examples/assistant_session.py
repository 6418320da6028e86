"""What an assistant does at ``/mcp``, printed as it goes over the wire.

With the MCP SDK's own client and a bearer token: ``tools/list``, then
``add_task``, ``list_tasks`` and ``complete_task``. Every HTTP request and
response body is printed (the token is not), so the output is a transcript
of the session.

    .venv/bin/todo serve &
    TOKEN=$(.venv/bin/todo token alice)
    .venv/bin/python examples/assistant_session.py http://127.0.0.1:8000/mcp "$TOKEN"
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


def _pretty(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw.decode(errors="replace")


async def _show_request(request: httpx.Request) -> None:
    print(f">>> {request.method} {request.url.path}")
    if request.content:
        print(_pretty(request.content))


async def _show_response(response: httpx.Response) -> None:
    await response.aread()
    print(f"<<< {response.status_code} {response.headers.get('content-type', '')}")
    if response.content:
        print(_pretty(response.content))
    print()


async def session(url: str, token: str, title: str) -> dict[str, Any]:
    """Run the session; return the completed task."""
    http = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        event_hooks={"request": [_show_request], "response": [_show_response]},
    )
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        await client.list_tools()
        added = await client.call_tool("add_task", {"title": title, "due_date": "2026-12-04"})
        assert added.structuredContent is not None, added.content
        await client.call_tool("list_tasks", {"status": "pending", "sort": "due_date", "limit": 5})
        done = await client.call_tool("complete_task", {"task_id": added.structuredContent["id"]})
        assert done.structuredContent is not None, done.content
        return done.structuredContent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the MCP endpoint, e.g. http://127.0.0.1:8000/mcp")
    parser.add_argument("token", help="a bearer token (todo token SUB)")
    parser.add_argument("--title", default="Weekly review")
    args = parser.parse_args()
    done = asyncio.run(session(args.url, args.token, args.title))
    print(f"completed: {done['title']} ({done['id']})")


if __name__ == "__main__":
    main()
