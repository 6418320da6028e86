"""Statements PostgreSQL plans once per connection: SQL-level ``PREPARE`` and ``EXECUTE``.

psycopg2 sends every statement as a simple-protocol ``Query``, which
PostgreSQL parses, analyses and plans anew each time: for a write's
statement (data-modifying CTEs) that is about half the database's work
(``bench/plan_cost.py``). Protocol-level prepared statements need psycopg 3,
and the statement timeout rides in the same ``Query`` message as its
statement (``engine``), which the extended protocol does not allow. So the
statements that run most (marked with ``prepared``: a task by id, a lone
write) are prepared in SQL, in autocommit only:

- The first time on a connection the message is ``PREPARE todo_<hash>
  (<types>) AS <statement>; EXECUTE todo_<hash> (<values>)``, then
  ``EXECUTE todo_<hash> (<values>)`` alone: one round trip either way, and
  what runs is the statement as SQLAlchemy compiled it.
- The name is a hash of the prepared text, so on every server connection a
  name means the same statement.
- A server connection may not hold what the client connection believes:
  PgBouncer in transaction mode hands each message to any of its server
  connections, and a session pooler may ``DISCARD ALL``. "Does not exist"
  (26000) sends the message again with its ``PREPARE``, "already exists"
  (42P05) again as a bare ``EXECUTE``; if that lands on a server connection
  that disagrees again, the statement goes as compiled, which any server
  connection runs. In autocommit a failed message leaves nothing behind (it
  was its own implicit transaction), so sending it again is safe; inside a
  transaction statements are never prepared.
- Parameters are declared with the types SQLAlchemy gives them (PostgreSQL
  would take a value in a select list for text).
- PostgreSQL plans a prepared statement for its values for its first five
  runs, then keeps a generic plan if that is no costlier: the statements
  marked each find their rows by primary key, for which the plans agree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import NullType

#: Execution option: on a statement, prepare it; on an engine, preparing is allowed.
PREPARED: Final = "todo_prepared"
#: Key of the names prepared on a connection, in its pool record's ``info``.
KNOWN: Final = "todo_prepared_names"
#: How many times a statement is sent prepared before it goes as compiled.
ATTEMPTS: Final = 2
#: SQLSTATEs of a prepared statement missing, and of one already there.
MISSING: Final = "26000"
EXISTS: Final = "42P05"

_PARAMETER: Final = re.compile(r"%\(([^)]+)\)s")
_COLLATION: Final = re.compile(r"\s+COLLATE\s+(\"[^\"]*\"|\S+)", re.IGNORECASE)

E = TypeVar("E", bound=Executable)
R = TypeVar("R")


def prepared(statement: E) -> E:
    """``statement`` marked to be prepared on PostgreSQL (see the module docstring)."""
    return statement.execution_options(**{PREPARED: True})


def is_marked(statement: Any) -> bool:
    """Whether ``statement`` was marked with ``prepared``."""
    options = getattr(statement, "get_execution_options", None)
    return bool(options is not None and options().get(PREPARED))


@dataclass(frozen=True, slots=True)
class PreparedStatement:
    """A compiled statement's ``PREPARE`` and ``EXECUTE``, in psycopg2's parameter style."""

    name: str
    prepare: str
    execute: str
    plain: str

    def message(self, known: set[str]) -> str:
        """What to send on a connection that has prepared ``known``."""
        if self.name in known:
            return self.execute
        return f"{self.prepare}; {self.execute}"

    def sent(self, known: set[str]) -> None:
        """The message went through: the connection holds the statement."""
        known.add(self.name)

    def retry(self, error: BaseException, known: set[str]) -> bool:
        """Whether the failed message should be sent again, ``known`` corrected.

        ``error`` is the driver's, or SQLAlchemy's wrapping it (``orig``).
        """
        code = getattr(getattr(error, "orig", error), "pgcode", None)
        if code == MISSING:
            known.discard(self.name)
            return True
        if code == EXISTS:
            known.add(self.name)
            return True
        return False


def _type_name(bind: Any, dialect: Dialect) -> str:
    if isinstance(bind.type, NullType):
        return "unknown"
    rendered: str = bind.type.compile(dialect=dialect)
    return _COLLATION.sub("", rendered)


@lru_cache(maxsize=256)
def prepared_statement(compiled: SQLCompiler) -> PreparedStatement | None:
    """``compiled`` as ``PREPARE`` and ``EXECUTE``; ``None`` if it takes no parameters."""
    sql = compiled.string
    order: dict[str, int] = {}
    for match in _PARAMETER.finditer(sql):
        order.setdefault(match.group(1), len(order) + 1)
    if not order:
        return None
    binds = {
        compiled.escaped_bind_names.get(name, name): bind
        for bind, name in compiled.bind_names.items()
    }
    types = ", ".join(_type_name(binds[name], compiled.dialect) for name in order)
    body = _PARAMETER.sub(lambda match: f"${order[match.group(1)]}", sql)
    digest = hashlib.sha256(f"({types}) {body}".encode()).hexdigest()[:24]
    name = f"todo_{digest}"
    values = ", ".join(f"%({parameter})s" for parameter in order)
    prepare, execute = f"PREPARE {name} ({types}) AS {body}", f"EXECUTE {name} ({values})"
    return PreparedStatement(name, prepare, execute, sql)


def send_prepared(
    statement: PreparedStatement,
    known: set[str],
    send: Callable[[str], R],
    error_type: type[BaseException] | tuple[type[BaseException], ...],
) -> R:
    """``send(message)`` of ``statement``; again when the server connection disagrees,
    and as compiled when it still does (see the module docstring)."""
    for _ in range(ATTEMPTS):
        try:
            result = send(statement.message(known))
        except error_type as error:
            if not statement.retry(error, known):
                raise
            continue
        statement.sent(known)
        return result
    return send(statement.plain)


def known_names(info: dict[Any, Any]) -> set[str]:
    """The names prepared on the connection whose pool record's ``info`` this is."""
    known: set[str] = info.setdefault(KNOWN, set())
    return known
