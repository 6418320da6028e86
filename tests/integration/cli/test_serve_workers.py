"""``todo serve --workers N``: each worker accepts on a socket of its own (Linux).

The last test starts the real command with two workers on a migrated SQLite
file and holds 16 keep-alive connections open at once, as a proxy or a
benchmark does: with uvicorn's one shared socket the first worker awake
could take them all; here the kernel spreads them over both workers.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli.conftest import SECRET
from tests.support.local_server import answers_health, free_port
from todo_adapters.sql import upgrade_database
from todo_bootstrap import workers
from todo_bootstrap.workers import SpreadWorkers, spreads_connections, worker_sockets

pytestmark = pytest.mark.skipif(not spreads_connections(), reason="SO_REUSEPORT spreads on Linux")


def test_the_sockets_listen_on_one_address_in_one_reuse_port_group() -> None:
    sockets = worker_sockets("127.0.0.1", 0, 3, backlog=16)
    try:
        ports = {sock.getsockname()[1] for sock in sockets}
        assert len(ports) == 1
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets)
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_connections_made_before_any_worker_accepts_wait_on_every_socket() -> None:
    """A worker that starts late still gets its share: the parent listened for it."""
    sockets = worker_sockets("127.0.0.1", 0, 2, backlog=64)
    port = sockets[0].getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(16)]
    try:
        waiting = [_accept_all(sock) for sock in sockets]
    finally:
        for sock in [*clients, *sockets]:
            sock.close()

    assert sum(waiting) == 16
    assert min(waiting) > 0  # the kernel hashes each connection to a socket (1 in 32,768 to fail)


def test_connections_accepted_by_the_asyncio_loop_send_without_delay() -> None:
    """asyncio (uvicorn's loop without uvloop) turns Nagle off only where the protocol
    reads TCP: on a socket made with protocol 0, 2 workers answered 365 req/s, each
    response waiting 44 ms for the client's delayed ACK (3,858 with it named)."""
    (listening,) = worker_sockets("127.0.0.1", 0, 1, backlog=16)
    port = listening.getsockname()[1]

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listening)
        async with server:
            _, client = await asyncio.open_connection("127.0.0.1", port)
            try:
                return await asyncio.wait_for(accepted, timeout=5)
            finally:
                client.close()

    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        assert runner.run(accept_one()) != 0


def _accept_all(listening: socket.socket) -> int:
    """How many connections wait in ``listening``'s backlog (accepted and closed)."""
    listening.setblocking(False)
    count = 0
    while True:
        try:
            accepted, _ = listening.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


def test_an_address_in_use_is_refused_and_nothing_stays_bound() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            worker_sockets("127.0.0.1", port, 2, backlog=16)


def test_each_worker_first_starts_on_its_own_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[socket.socket]] = []

    class Recorded:
        def __init__(self, _config: Any, sockets: list[socket.socket]) -> None:
            started.append(sockets)

        def start(self) -> None:
            """Nothing runs."""

    monkeypatch.setattr(workers, "Process", Recorded)
    sockets = [object(), object()]
    supervisor = SpreadWorkers.__new__(SpreadWorkers)
    supervisor.config, supervisor.sockets, supervisor.processes = None, sockets, []  # type: ignore[assignment]

    supervisor.init_processes()

    assert started == [[sockets[0]], [sockets[1]]]


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """``todo serve --workers 2`` on a free port: (its port, the parent's pid)."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade_database(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": SECRET, "LOG_LEVEL": "WARNING"}
    env.pop("DB_POOL_SIZE", None)  # the default
    command = [sys.executable, "-m", "todo_bootstrap", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2"], cwd=tmp_path, env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while not answers_health(port):
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _workers_of(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if "spawn_main" in _command_line(int(pid))]


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _client_sockets(pid: int, port: int) -> int:
    """Connections of ``pid`` whose local port is ``port`` (accepted, not listening)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    established = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
            established += 1
    return established


def test_sixteen_connections_opened_at_once_are_served_by_both_workers(
    two_workers: tuple[int, int],
) -> None:
    port, parent = two_workers
    # A connection hashed to a worker still starting waits for it in its socket's backlog.
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(16)]
    try:
        for connection in connections:  # all open before any is used, as wrk does
            connection.connect()
        for connection in connections:
            connection.request("GET", "/health")
            assert connection.getresponse().read() is not None
        per_worker = [_client_sockets(pid, port) for pid in _workers_of(parent)]
    finally:
        for connection in connections:
            connection.close()

    assert len(per_worker) == 2
    assert sum(per_worker) == 16
    # The kernel hashes each connection to a socket: both get some (1 in 32,768 to fail).
    assert min(per_worker) > 0


def test_two_workers_share_the_default_pool_of_ten_connections(
    two_workers: tuple[int, int],
) -> None:
    """``DB_POOL_SIZE`` unset: each of the 2 workers starts with 5 (``serve.worker_pool_size``)."""
    _, parent = two_workers
    pools = [_environment_of(pid).get("DB_POOL_SIZE") for pid in _workers_of(parent)]

    assert pools == ["5", "5"]


def _environment_of(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (entry.decode().partition("=") for entry in entries if entry)
    return {name: value for name, _, value in pairs}
