"""What a PostgreSQL client sends, read off the wire (frontend protocol 3.0).

``WireLog.stream`` is a ``TcpProxy`` tap: one parser per connection, recording
every statement the client sends (a simple ``Query``, or an extended-protocol
``Execute``) by its first keyword, ``PING`` for a bare ``SELECT 1``. Unlike
SQLAlchemy's events it sees what psycopg2 sends by itself (its ``BEGIN``).
"""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Callable
from typing import Final

_SSL_REQUEST: Final = 80877103
_GSSENC_REQUEST: Final = 80877104


#: What ``make_engine(statement_timeout_ms=...)`` puts before every statement, in the
#: same message (``todo_adapters.sql.engine``).
_TIMEOUT_PREFIX: Final = re.compile(r"^\s*SET LOCAL statement_timeout = \d+;\s*")


#: A statement prepared in SQL and run in the same message (``todo_adapters.sql.prepared``).
_PREPARE: Final = re.compile(
    r"^PREPARE (\w+) \((?:[^()]|\([^()]*\))*\) AS (.*); EXECUTE \1 \(.*\)$", re.DOTALL
)
#: ... and run again, by name.
_EXECUTE: Final = re.compile(r"^EXECUTE (\w+) \(")


def classify(query: str, prepared: dict[str, str] | None = None) -> str:
    """``PING`` for a bare ``SELECT 1``, else the first keyword in capitals.

    A statement carrying the statement-timeout prefix is classified by the
    statement itself (the prefix rides in the same message: no round trip),
    and so is one prepared in SQL: ``PREPARE name AS <statement>; EXECUTE
    name`` by the statement, which ``prepared`` (when given) then remembers by
    name for a later ``EXECUTE name`` alone.
    """
    query = _TIMEOUT_PREFIX.sub("", query, count=1)
    text = " ".join(query.strip().rstrip(";").split())
    if text.lower() == "select 1":
        return "PING"
    if found := _PREPARE.match(text):
        kind = classify(found.group(2))
        if prepared is not None:
            prepared[found.group(1)] = kind
        return kind
    if (found := _EXECUTE.match(text)) and prepared is not None:
        return prepared.get(found.group(1), "EXECUTE")
    return text.split(" ", 1)[0].upper() if text else "EMPTY"


class WireLog:
    """The statements seen on every tapped connection, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.kinds: list[str] = []
        #: What each statement prepared in SQL is, by name (names are the same everywhere).
        self.prepared: dict[str, str] = {}
        #: How many recorded messages carried the statement-timeout prefix.
        self.timed = 0

    def clear(self) -> None:
        with self._lock:
            self.kinds.clear()
            self.timed = 0

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.kinds)

    def stream(self) -> Callable[[bytes], None]:
        """A parser for one connection's client-to-server bytes."""
        buffer = bytearray()
        state = {"startup": True}
        parsed: dict[bytes, str] = {}

        def feed(data: bytes) -> None:
            buffer.extend(data)
            while True:
                if state["startup"]:
                    if len(buffer) < 8:
                        return
                    (length,) = struct.unpack_from("!i", buffer, 0)
                    if len(buffer) < length:
                        return
                    (code,) = struct.unpack_from("!i", buffer, 4)
                    del buffer[:length]
                    if code not in (_SSL_REQUEST, _GSSENC_REQUEST):
                        state["startup"] = False
                    continue
                if len(buffer) < 5:
                    return
                kind = bytes(buffer[0:1])
                (length,) = struct.unpack_from("!i", buffer, 1)
                if len(buffer) < 1 + length:
                    return
                payload = bytes(buffer[5 : 1 + length])
                del buffer[: 1 + length]
                if kind == b"Q":
                    self._record(payload.rstrip(b"\x00").decode("utf-8", "replace"))
                elif kind == b"P":
                    name, _, rest = payload.partition(b"\x00")
                    parsed[name] = rest.partition(b"\x00")[0].decode("utf-8", "replace")
                elif kind == b"B":
                    portal, _, rest = payload.partition(b"\x00")
                    parsed[b"portal:" + portal] = parsed.get(rest.partition(b"\x00")[0], "?")
                elif kind == b"E":
                    self._record(parsed.get(b"portal:" + payload.partition(b"\x00")[0], "?"))

        return feed

    def _record(self, query: str) -> None:
        with self._lock:
            self.kinds.append(classify(query, self.prepared))
            if _TIMEOUT_PREFIX.match(query):
                self.timed += 1
