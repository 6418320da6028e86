"""Engines and a readiness probe for PostgreSQL (psycopg2) and SQLite.

PostgreSQL: a bare ``postgresql://`` or ``postgres://`` URL (the form Neon
hands out) is pinned to psycopg2, which SQLAlchemy 2.1 would otherwise swap
for psycopg 3. Query parameters such as Neon's ``sslmode=require`` and
``channel_binding=require`` pass through to libpq untouched. The pool pings
a connection before use when it has sat idle for a while
(``ping_after_idle_seconds``, 1 s by default; 0 pings every checkout, which
is SQLAlchemy's ``pool_pre_ping``), so a database that went away and came
back (a Neon compute suspended after 5 idle minutes) is used again without a
restart. Connections are kept, not churned: no overflow by default (an
overflow connection is closed when returned) and a recycle age of 30 minutes
(each reconnect is a TLS handshake and authentication on Neon). A connection returned less than the
window ago is trusted, as HikariCP trusts one used in its last 500 ms: under
load that saves a round trip per request (a millisecond or more to Neon),
and a server lost inside the window costs one request a 503, after which the
pool starts afresh (SQLAlchemy invalidates it on a disconnect error).

Each new connection is switched to UTC, so timestamps of any year 1-9999
read back unshifted. psycopg2 begins a transaction itself at the first
statement; ``SqlUnitOfWork`` puts a connection in autocommit for reads, so a
read sends no ``BEGIN``/``ROLLBACK``.

Statement timeout (``statement_timeout_ms``, PostgreSQL): every statement is
sent as ``SET LOCAL statement_timeout = <ms>; <statement>`` in the same
simple-protocol ``Query`` message (psycopg2 interpolates parameters on the
client, so there is no extended protocol to split it). A message of several
statements runs as one implicit transaction, so in autocommit the setting
lasts exactly that statement; inside a transaction it lasts to its end. No
session state, so it holds through PgBouncer in transaction mode, and no
extra round trip: the statements on the wire stay what they were. A
statement over the limit is cancelled by the server (``QueryCanceled``), the
request gets a 503, and the connection stays healthy in the pool.

SQLite: WAL journal, a busy timeout and foreign keys on every connection.
SQLAlchemy emits ``BEGIN`` itself (the pysqlite recipe of its documentation),
and a unit of work that will write starts with ``BEGIN IMMEDIATE`` so that
concurrent writers queue on the busy timeout instead of failing with
"database is locked" when they upgrade a read lock.
"""

from __future__ import annotations

import time
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, StaticPool

from todo_adapters.sql.prepared import PREPARED

#: Execution option telling the SQLite ``begin`` hook the transaction will write.
WRITE_INTENT: Final = "todo_write_intent"

#: How long (seconds) a SQLite writer waits for another to finish.
SQLITE_BUSY_TIMEOUT_SECONDS: Final = 30.0

APPLICATION_NAME: Final = "todo-core"

#: A pooled PostgreSQL connection idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS: Final = 1.0
_IDLE_SINCE: Final = "todo_idle_since"

_POSTGRES_DRIVERS: Final = frozenset({"postgres", "postgresql", "postgresql+psycopg2"})
_SQLITE_DRIVERS: Final = frozenset({"sqlite", "sqlite+pysqlite"})


def _parse(url: str | URL) -> URL:
    if isinstance(url, URL):
        parsed = url
    else:
        text = url.strip()
        if not text:
            raise ValueError("Database URL is empty")
        try:
            parsed = make_url(text)
        except (ArgumentError, ValueError):
            raise ValueError(
                "Database URL cannot be parsed; expected postgresql://user:password@host/db "
                "or sqlite:///path/to/file.db"
            ) from None
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg2")
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite+pysqlite")
    raise ValueError(
        f"Unsupported database backend {parsed.drivername!r}; "
        "use postgresql:// (psycopg2) or sqlite://"
    )


def normalize_database_url(url: str | URL) -> str:
    """The URL with its driver made explicit (``postgresql+psycopg2``, ``sqlite+pysqlite``).

    Raises ``ValueError`` for a URL that cannot be parsed or names another backend.
    """
    return _parse(url).render_as_string(hide_password=False)


def is_sqlite_memory(url: URL) -> bool:
    """Whether a SQLite URL names an in-memory database."""
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def make_engine(
    url: str | URL,
    *,
    pool_size: int = 10,
    max_overflow: int = 0,
    pool_recycle: int = 1800,
    pool_timeout: float = 10,
    connect_timeout: int = 5,
    ping_after_idle_seconds: float | None = PING_AFTER_IDLE_SECONDS,
    statement_timeout_ms: int | None = None,
    prepared_statements: bool = True,
    echo: bool = False,
) -> Engine:
    """An engine for ``url``, configured as the module docstring describes.

    ``ping_after_idle_seconds``: ping a PostgreSQL connection idle at least
    this long before use; 0 pings on every checkout, ``None`` never.
    ``statement_timeout_ms``: PostgreSQL cancels a statement running longer
    (``None`` or 0: no limit; migrations run without one). SQLite has no such
    setting (its writers wait on the busy timeout instead).
    ``prepared_statements``: PostgreSQL plans the statements marked ``prepared``
    once per connection (``prepared``).
    """
    parsed = _parse(url)
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_recycle": pool_recycle,
        "pool_timeout": pool_timeout,
        # The most recently returned connection first: under light load the
        # same few stay busy (no idle ping) and the rest simply wait.
        "pool_use_lifo": True,
    }
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, pool=pool, echo=echo)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = connect_timeout
    if "application_name" not in parsed.query:
        connect_args["application_name"] = APPLICATION_NAME
    engine = create_engine(
        parsed,
        echo=echo,
        connect_args=connect_args,
        pool_pre_ping=ping_after_idle_seconds == 0,
        execution_options={PREPARED: prepared_statements},
        **pool,
    )
    event.listen(engine, "connect", _postgres_on_connect)
    if ping_after_idle_seconds:
        _ping_when_idle(engine, ping_after_idle_seconds)
    if statement_timeout_ms:
        _limit_statements(engine, statement_timeout_ms)
    return engine


def statement_timeout_prefix(timeout_ms: int) -> str:
    """What goes in front of every statement (see the module docstring)."""
    return f"SET LOCAL statement_timeout = {int(timeout_ms)}; "


def _limit_statements(engine: Engine, timeout_ms: int) -> None:
    prefix = statement_timeout_prefix(timeout_ms)

    def limited(
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> tuple[str, Any]:
        return prefix + statement, parameters

    event.listen(engine, "before_cursor_execute", limited, retval=True)


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping on checkout a connection that sat in the pool ``idle_seconds`` or more.

    A failed ping raises ``DisconnectionError`` from the ``checkout`` event:
    the pool then drops that connection and hands out a new one (SQLAlchemy's
    documented recipe, which ``pool_pre_ping`` runs on every checkout).
    """
    dialect: Dialect = engine.dialect

    def mark_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        idle_since: float = record.info.get(_IDLE_SINCE, 0.0)
        if time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"ping failed after {idle_seconds} s idle") from error

    event.listen(engine, "connect", mark_idle)
    event.listen(engine, "checkin", mark_idle)
    event.listen(engine, "checkout", ping_if_idle)


def _postgres_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Read and write timestamps in UTC whatever the server's default time zone.

    A session-level ``SET`` that PgBouncer (Neon's pooler) tracks and replays
    on every server connection it hands this client.
    """
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
        dbapi_connection.autocommit = autocommit


def _sqlite_engine(url: URL, *, pool: dict[str, Any], echo: bool) -> Engine:
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    if is_sqlite_memory(url):
        # One connection shared by every session: a private in-memory database
        # for scripts and single-threaded tests (no concurrency).
        engine = create_engine(url, poolclass=StaticPool, connect_args=connect_args, echo=echo)
    else:
        engine = create_engine(url, echo=echo, connect_args=connect_args, **pool)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy, not pysqlite, decides when transactions begin (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(WRITE_INTENT):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def database_is_reachable(engine: Engine) -> bool:
    """A cheap ``SELECT 1`` for a readiness probe; ``False`` on any failure, never raises."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:
        return False
    return True
