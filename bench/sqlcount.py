"""Counting SQL statements on the wire: a small PostgreSQL protocol proxy.

Statements per request are counted where nothing can hide them: between the
server under test and PostgreSQL. The proxy relays bytes both ways untouched
and reads the frontend messages (protocol 3.0): every simple ``Query`` ('Q')
and every extended-protocol ``Execute`` ('E') is one statement, classified by
its first keyword (``SELECT 1`` on its own is the pool's liveness ping).
It counts what psycopg2 sends by itself too (its implicit ``BEGIN``), which
neither SQLAlchemy events nor echo see, and needs nothing from the server:
``pg_stat_statements`` is not loaded on every server (it is not on the
shared 127.0.0.1:5432 one here), and changing ``log_statement`` on a shared
server is not ours to do.

Only the census phase goes through the proxy (a second app and a second floor
process whose ``DATABASE_URL`` points at it), so its own cost never touches
the timed runs. Clients must not negotiate TLS (``sslmode=disable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Final

SSL_REQUEST: Final = 80877103
GSSENC_REQUEST: Final = 80877104
CANCEL_REQUEST: Final = 80877102
TRANSACTION_CONTROL: Final = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT"})

_SPACES = re.compile(r"\s+")
_STRING_LITERAL = re.compile(r"(?:E|e)?'(?:[^']|'')*'(?:::\w+)*")
_NULL_VALUE = re.compile(r"([=(,]\s*)NULL\b")
_NUMBER_LITERAL = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def classify(query: str) -> str:
    """``PING`` for a bare ``SELECT 1``, else the statement's first keyword in capitals."""
    text = _SPACES.sub(" ", query.strip().rstrip(";")).strip()
    if text.lower() in {"select 1", "select 1 as ping"}:
        return "PING"
    return text.split(" ", 1)[0].upper() if text else "EMPTY"


def normalize(query: str) -> str:
    """One line, literals as ``?`` (psycopg2 interpolates parameters client-side)."""
    text = _STRING_LITERAL.sub("?", query.strip())
    text = _NUMBER_LITERAL.sub("?", text)
    text = _NULL_VALUE.sub(r"\1?", text)  # a NULL parameter is a parameter too
    return _SPACES.sub(" ", text)


@dataclass(slots=True)
class Tally:
    by_kind: Counter[str]
    by_text: Counter[str]


class _FrontendParser:
    """Splits the client's byte stream into messages and records the statements."""

    def __init__(self, tally: Tally, lock: threading.Lock) -> None:
        self._buffer = bytearray()
        self._startup = True
        self._tally = tally
        self._lock = lock
        self._parsed: dict[bytes, str] = {}
        self.opaque = False

    def feed(self, data: bytes) -> None:
        if self.opaque:
            return
        self._buffer += data
        while True:
            if self._startup:
                if len(self._buffer) < 8:
                    return
                (length,) = struct.unpack_from("!i", self._buffer, 0)
                if len(self._buffer) < length:
                    return
                (code,) = struct.unpack_from("!i", self._buffer, 4)
                del self._buffer[:length]
                if code == CANCEL_REQUEST:
                    return
                if code not in (SSL_REQUEST, GSSENC_REQUEST):
                    self._startup = False
                continue
            if len(self._buffer) < 5:
                return
            kind = self._buffer[0:1]
            (length,) = struct.unpack_from("!i", self._buffer, 1)
            if len(self._buffer) < 1 + length:
                return
            payload = bytes(self._buffer[5 : 1 + length])
            del self._buffer[: 1 + length]
            self._message(kind, payload)

    def _message(self, kind: bytes, payload: bytes) -> None:
        if kind == b"Q":
            self._record(payload.rstrip(b"\x00").decode("utf-8", "replace"))
        elif kind == b"P":
            name, _, rest = payload.partition(b"\x00")
            query, _, _ = rest.partition(b"\x00")
            self._parsed[name] = query.decode("utf-8", "replace")
        elif kind == b"B":
            portal, _, rest = payload.partition(b"\x00")
            statement, _, _ = rest.partition(b"\x00")
            self._parsed[b"portal:" + portal] = self._parsed.get(statement, "?")
        elif kind == b"E":
            portal, _, _ = payload.partition(b"\x00")
            self._record(self._parsed.get(b"portal:" + portal, "?"))

    def _record(self, query: str) -> None:
        with self._lock:
            self._tally.by_kind[classify(query)] += 1
            self._tally.by_text[normalize(query)] += 1


class StatementCounter:
    """A proxy on 127.0.0.1:<port> in front of ``upstream``, counting statements.

    Runs its own event loop in a daemon thread; ``start`` / ``stop``.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._tally = Tally(Counter(), Counter())
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def start(self) -> int:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=10)
        return self.port

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*self._upstream)
        except OSError:
            client_w.close()
            return
        parser = _FrontendParser(self._tally, self._lock)

        async def pump(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inspect: bool
        ) -> None:
            try:
                while data := await reader.read(65536):
                    if inspect:
                        parser.feed(data)
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.close()

        await asyncio.gather(pump(client_r, server_w, True), pump(server_r, client_w, False))

    def snapshot(self) -> Tally:
        with self._lock:
            return Tally(Counter(self._tally.by_kind), Counter(self._tally.by_text))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()


def delta(after: Tally, before: Tally) -> Tally:
    return Tally(after.by_kind - before.by_kind, after.by_text - before.by_text)


@dataclass(frozen=True, slots=True)
class StatementsPerRequest:
    """Statements per request, split the way the targets count them."""

    total: float  # every round trip the server received
    data: float  # SELECT / INSERT / UPDATE / DELETE (no pings, no transaction control)
    begin: float
    commit: float
    rollback: float
    ping: float
    other: float
    statements: dict[str, float]  # per normalized SQL text, for the report

    @property
    def counted(self) -> float:
        """The target's measure: data statements plus COMMIT (BEGIN/ROLLBACK/ping apart)."""
        return self.data + self.commit


def per_request(tally: Tally, requests: int) -> StatementsPerRequest:
    n = max(requests, 1)
    kinds = tally.by_kind
    data = sum(kinds[k] for k in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"))
    known = data + sum(kinds[k] for k in ("BEGIN", "COMMIT", "ROLLBACK", "PING"))
    return StatementsPerRequest(
        total=sum(kinds.values()) / n,
        data=data / n,
        begin=kinds["BEGIN"] / n,
        commit=kinds["COMMIT"] / n,
        rollback=kinds["ROLLBACK"] / n,
        ping=kinds["PING"] / n,
        other=(sum(kinds.values()) - known) / n,
        statements={text: count / n for text, count in tally.by_text.most_common(12)},
    )
