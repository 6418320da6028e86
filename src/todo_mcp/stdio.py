"""The MCP server over stdio, for an assistant running on the user's machine.

The process acts for one user, named when it is started (``todo mcp --user
SUB``): whoever can start it can already read the database it is given.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio

from todo_core.model import clean_user_id
from todo_core.services import TaskService
from todo_mcp.server import acting_as, build_server


def serve_stdio(*, service: Callable[[], TaskService], user: str, concurrency: int) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them.

    ``InvalidInput`` (a ``TodoError``) if ``user`` is not a usable user id.
    """
    server = build_server(
        service=service, identify=acting_as(clean_user_id(user)), concurrency=concurrency
    )
    anyio.run(server.run_stdio_async)
