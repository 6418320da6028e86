"""The served app on a real port (uvicorn in a thread) and ``todo mcp`` as a process, on PostgreSQL.

``postgres_url`` is the suite's migrated database (``tests/integration/conftest.py``).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.integration.http.conftest import postgres_container
from tests.support.mcp_client import Tools, http_tools, stdio_tools
from tests.unit.http.support import bearer, make_http_settings
from todo_bootstrap.app import build_app

#: The ``todo`` command installed beside the interpreter running the tests (``.venv/bin/todo``).
TODO_COMMAND = str(Path(sys.executable).with_name("todo"))


@dataclass(frozen=True)
class LiveServer:
    """The app ``todo serve`` runs, listening on ``base_url``."""

    base_url: str

    def client(self, user: str | None = None) -> httpx.AsyncClient:
        """An HTTP client of the server, with a token for ``user`` when given."""
        headers = bearer(user) if user is not None else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)

    @asynccontextmanager
    async def tools(self, user: str) -> AsyncIterator[Tools]:
        """An MCP session over streamable HTTP with a token for ``user``."""
        async with self.client(user) as http, http_tools(f"{self.base_url}/mcp", http) as tools:
            yield tools


@pytest.fixture(scope="module")
def live_server(postgres_url: str) -> Iterator[LiveServer]:
    """uvicorn serving the app on a free port, in a thread, for the module's tests."""
    container = postgres_container(postgres_url)
    app = build_app(container, http_settings=make_http_settings())
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=30)
    listener.close()
    container.engine().dispose()


@dataclass(frozen=True)
class StdioCommand:
    """``todo mcp --user U`` started by the SDK's stdio client, with only ``DATABASE_URL`` set."""

    database_url: str
    workdir: Path

    @asynccontextmanager
    async def tools(self, user: str, *, database_url: str | None = None) -> AsyncIterator[Tools]:
        """A session with a fresh process; afterwards its stderr must hold no traceback."""
        errors = self.workdir / f"stderr-{uuid.uuid4().hex}.log"
        with errors.open("w") as errlog:
            async with stdio_tools(
                TODO_COMMAND,
                "mcp",
                "--user",
                user,
                env={"DATABASE_URL": database_url or self.database_url},
                cwd=self.workdir,
                errlog=errlog,
            ) as tools:
                yield tools
        assert "Traceback" not in errors.read_text(), errors.read_text()


@pytest.fixture
def stdio_command(postgres_url: str, tmp_path: Path) -> StdioCommand:
    """The command, run from an empty directory (no ``.env`` is read, no secret is set)."""
    return StdioCommand(postgres_url, tmp_path)
