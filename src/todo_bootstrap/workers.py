"""Several worker processes, each accepting on a listening socket of its own.

uvicorn's ``--workers`` binds one socket in the parent and every worker
accepts from it: the first worker awake takes every connection waiting. A
client that opens its keep-alive connections at once (a proxy, a load
balancer, a benchmark) can land them all on one worker while the others
idle, and keep them there. Measured with the bench's mixed load, 2 workers
and 16 connections, three runs each: uvicorn's shared socket gave 1,452,
730 (all 16 connections on one worker: 521 and 1 ticks of CPU) and 929
req/s; a socket per worker 1,332, 1,224 and 1,085.

On Linux each worker here starts on its own socket, all bound to the same
address with ``SO_REUSEPORT``, and the kernel spreads new connections over
the sockets by their addresses. The parent listens on every socket before
any worker starts: only listening sockets join the group, so a worker that
starts late would otherwise find every early connection on its sibling's
socket; here they wait in its own backlog until it accepts them.
uvicorn's supervisor still starts, watches and restarts the workers; a
restarted worker listens on every socket, so the connections its
predecessor's socket receives are still served.
Elsewhere (``SO_REUSEPORT`` does not spread connections on macOS) uvicorn
runs the workers as it does by itself.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def spreads_connections() -> bool:
    """Whether this system spreads connections over ``SO_REUSEPORT`` sockets (Linux)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def worker_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` in one ``SO_REUSEPORT`` group.

    Port 0 picks a free port for the first and binds the others to it.
    ``OSError`` if the address cannot be bound (in use, unknown host).
    """
    first = _reuse_port_socket(host, port)
    chosen = first.getsockname()[1]
    sockets = [first]
    try:
        sockets.extend(_reuse_port_socket(host, chosen) for _ in range(count - 1))
        for sock in sockets:
            sock.listen(backlog)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on
    # accepted sockets whose protocol reads IPPROTO_TCP, and they inherit this one's.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor, whose worker ``i`` first starts on socket ``i`` alone."""

    def init_processes(self) -> None:
        for sock in self.sockets:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)


def run_workers(app: str, **options: Any) -> None:
    """``uvicorn.run(app, **options)``, each worker on its own socket (module docstring)."""
    config = Config(app, **options)
    try:
        sockets = worker_sockets(config.host, config.port, config.workers, config.backlog)
    except OSError as error:
        logger.error("cannot listen on %s:%d: %s", config.host, config.port, error)
        raise SystemExit(3) from None
    port = sockets[0].getsockname()[1]
    logger.info(
        "Serving on http://%s:%d with %d workers, each on its own socket (SO_REUSEPORT)",
        config.host,
        port,
        config.workers,
    )
    try:
        SpreadWorkers(config, sockets=sockets).run()
    except KeyboardInterrupt:
        pass
    finally:
        for sock in sockets:
            sock.close()
