"""A TCP proxy a test owns, to make a real server unreachable and reachable again.

It listens on 127.0.0.1 (an ephemeral port, ``.port``) and forwards every
connection to the target. ``cut()`` drops the open connections and refuses new
ones (they are accepted and closed at once, so clients fail fast instead of
timing out); ``restore()`` forwards again. The shared server is never touched.
``tap`` (optional) is called once per forwarded connection and returns a
callable that sees every chunk the client sends, before it is forwarded.

    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = proxy.through("postgresql://postgres@127.0.0.1:5432/mydb")
        ...
        proxy.cut()
        ...
        proxy.restore()
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import make_url

_CHUNK = 65536
_POLL_SECONDS = 0.05


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port`` until cut or stopped."""

    def __init__(
        self,
        target_host: str = "127.0.0.1",
        target_port: int = 5432,
        *,
        listen_host: str = "127.0.0.1",
        connect_timeout: float = 5.0,
        tap: Callable[[], Callable[[bytes], None]] | None = None,
    ) -> None:
        self.target = (target_host, target_port)
        self._listen_host = listen_host
        self._connect_timeout = connect_timeout
        self._tap = tap
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._stopping = threading.Event()
        self.accepted = 0

    @property
    def port(self) -> int:
        """The port clients connect to (known once started)."""
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return int(self._listener.getsockname()[1])

    @classmethod
    def in_front_of(cls, url: str, **options: Any) -> TcpProxy:
        """A proxy to the server of a database URL (start it with ``with``)."""
        target = make_url(url)
        return cls(target.host or "127.0.0.1", target.port or 5432, **options)

    def through(self, url: str) -> str:
        """``url`` (a database URL to the target) rewritten to go through this proxy."""
        return (
            make_url(url)
            .set(host=self._listen_host, port=self.port)
            .render_as_string(hide_password=False)
        )

    @property
    def is_cut(self) -> bool:
        """Whether connections are currently refused."""
        return self._cut

    def start(self) -> Self:
        """Listen and start forwarding."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._listen_host, 0))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._acceptor.start()
        return self

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until ``restore``."""
        with self._lock:
            self._cut = True
            doomed = list(self._open)
            self._open.clear()
        for sock in doomed:
            _close(sock)

    def restore(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self._cut = False

    def stop(self) -> None:
        """Close everything and stop the accepting thread."""
        self._stopping.set()
        self.cut()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(timeout=_POLL_SECONDS):
                    continue
                try:
                    client, _ = self._listener.accept()
                except (BlockingIOError, OSError):
                    continue
                client.setblocking(True)
                self.accepted += 1
                if self._cut or self._stopping.is_set():
                    _close(client)
                    continue
                threading.Thread(
                    target=self._connect, args=(client,), name="tcp-proxy-conn", daemon=True
                ).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=self._connect_timeout)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if self._cut:
                _close(client)
                _close(upstream)
                return
            self._open.update((client, upstream))
        client_tap = self._tap() if self._tap is not None else None
        for source, sink, tap in ((client, upstream, client_tap), (upstream, client, None)):
            threading.Thread(
                target=self._pump, args=(source, sink, tap), name="tcp-proxy-pump", daemon=True
            ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        tap: Callable[[bytes], None] | None = None,
    ) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if tap is not None:
                    tap(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
