"""The benchmark's own PostgreSQL database: found or made, migrated, and removed afterwards.

The same rules as the integration tests (``tests/integration/postgres.py``),
on the same mechanics (``tests/support/postgres_server.py``), in order of preference:

1. ``BENCH_DATABASE_URL``, else ``TEST_DATABASE_URL``: a server the benchmark
   may use. A database of its own (``todo_bench_<random>``) is created there
   when the role may, and dropped afterwards; otherwise the named database is
   used as it is and only the benchmark's own users' rows are deleted at the end.
2. ``127.0.0.1:5432`` with trust auth (user ``postgres``): a database of its own.
3. A throwaway cluster (``initdb`` + ``pg_ctl`` in a temporary directory, on a
   free port, run as ``postgres`` when we are root), stopped and deleted
   afterwards. This one preloads ``pg_stat_statements``.

``BENCH_THROWAWAY_CLUSTER=1`` skips 1 and 2.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import psycopg2
from sqlalchemy.engine import make_url

from tests.support.postgres_server import (
    LOCAL_SERVER_URL,
    PROBE_TIMEOUT_SECONDS,
    ThrowawayCluster,
    can_create_databases,
    created_database,
    is_reachable,
    safe_url,
)

DATABASE_PREFIX: Final = "todo_bench_"


class DatabaseUnavailable(RuntimeError):
    """No PostgreSQL could be found or started."""


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    """Where the benchmark's tasks live, and how that place was obtained."""

    url: str
    origin: str
    created: bool

    @property
    def name(self) -> str:
        return make_url(self.url).database or ""

    def dsn(self) -> str:
        """The URL as libpq reads it (no SQLAlchemy driver suffix)."""
        return plain_url(self.url)


def plain_url(url: str) -> str:
    """``postgresql://...`` whatever driver the URL names (``postgresql+psycopg2``...)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _admin(url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(plain_url(url), connect_timeout=PROBE_TIMEOUT_SECONDS)
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def own_database(server_url: str, origin: str) -> Iterator[BenchDatabase]:
    """A fresh ``todo_bench_`` database on ``server_url``'s server, dropped afterwards."""
    with created_database(plain_url(server_url), DATABASE_PREFIX, random_digits=12) as url:
        name = make_url(url).database
        origin = f"{origin}, database {name} (dropped afterwards)"
        yield BenchDatabase(url=url, origin=origin, created=True)


@contextlib.contextmanager
def _cleaned_shared_database(url: str, user_prefix: str) -> Iterator[BenchDatabase]:
    yield BenchDatabase(url=plain_url(url), origin=f"{safe_url(url)} (used as is)", created=False)
    connection = _admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM tasks WHERE user_id LIKE %s", (user_prefix.replace("_", r"\_") + "%",)
            )
    finally:
        connection.close()


@contextlib.contextmanager
def bench_database(user_prefix: str) -> Iterator[BenchDatabase]:
    """The database of this run (see the module docstring); removed when the block ends."""
    forced_cluster = os.environ.get("BENCH_THROWAWAY_CLUSTER", "").strip() in {"1", "true", "yes"}
    for variable in ("BENCH_DATABASE_URL", "TEST_DATABASE_URL"):
        configured = os.environ.get(variable, "").strip()
        if configured and not forced_cluster:
            if not is_reachable(plain_url(configured)):
                raise DatabaseUnavailable(f"{variable} is set but does not answer")
            if can_create_databases(plain_url(configured)):
                with own_database(configured, f"{variable} {safe_url(configured)}") as database:
                    yield database
            else:
                with _cleaned_shared_database(configured, user_prefix) as database:
                    yield database
            return
    if not forced_cluster and is_reachable(LOCAL_SERVER_URL):
        with own_database(LOCAL_SERVER_URL, "local server 127.0.0.1:5432") as database:
            yield database
        return
    cluster = ThrowawayCluster(
        {"shared_preload_libraries": "pg_stat_statements", "max_connections": "200"},
        directory_prefix="todo-bench-pg-",
    )
    reason = cluster.unavailable_reason()
    if reason is not None:
        raise DatabaseUnavailable(f"no PostgreSQL: nothing on 127.0.0.1:5432 and {reason}")
    try:
        server_url = cluster.start()
        with own_database(server_url, f"throwaway cluster on port {cluster.port}") as database:
            yield database
    finally:
        cluster.stop()


def enable_pg_stat_statements(url: str) -> bool:
    """Create the extension in the bench database if the server preloads it."""
    connection = _admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('shared_preload_libraries')")
            row = cursor.fetchone()
            if not row or "pg_stat_statements" not in row[0]:
                return False
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT count(*) FROM pg_stat_statements")
    except psycopg2.Error:
        return False
    finally:
        connection.close()
    return True
