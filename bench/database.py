"""The benchmark's database: found or made, migrated, seeded, watched, and removed afterwards.

Where (the integration tests' rules, on ``tests/support/postgres_server.py``):

1. ``BENCH_DATABASE_URL``, else ``TEST_DATABASE_URL``: a database of its own
   (``todo_bench_<random>``) is created on that server when the role may,
   dropped afterwards; otherwise the named database is used as it is and only
   the benchmark's users' rows are deleted at the end.
2. ``127.0.0.1:5432`` (trust auth, user ``postgres``): a database of its own.
3. A throwaway cluster (``initdb`` + ``pg_ctl``, a free port), deleted afterwards.

``BENCH_THROWAWAY_CLUSTER=1`` skips 1 and 2. ``Watch`` reads what PostgreSQL
says about the bench database: sessions opened (``pg_stat_database``) and the
CPU time of its backends (``/proc``, when the server runs on this machine).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import psycopg2
from sqlalchemy.engine import make_url

from bench.servers import cpu_seconds
from tests.support.postgres_server import (
    LOCAL_SERVER_URL,
    ThrowawayCluster,
    can_create_databases,
    created_database,
    is_reachable,
    safe_url,
)

DATABASE_PREFIX: Final = "todo_bench_"

#: ``count`` tasks for one user, ``newest`` first and 1 ms apart: a status and
#: priority mix, "foo" in a fifth of the titles, a description on three in four.
#: Keys are ``lower()``, which is ``str.casefold`` for these ASCII texts.
SEED_SQL: Final = """
INSERT INTO tasks (id, user_id, title, title_key, description, description_key, status,
    status_rank, priority, priority_rank, due_date, completed_at, created_at, updated_at, version)
SELECT gen_random_uuid(), %(user)s, title, lower(title), description, lower(description),
    (ARRAY['pending', 'in_progress', 'completed'])[n %% 3 + 1], n %% 3,
    (ARRAY['low', 'medium', 'high'])[n %% 7 %% 3 + 1], n %% 7 %% 3,
    NULL, CASE WHEN n %% 3 = 2 THEN at END, at, at, 1
FROM (
    SELECT n, %(newest)s - n * interval '1 millisecond' AS at,
        CASE WHEN n %% 5 = 0 THEN 'Write foo report ' ELSE 'Plan the release ' END || n AS title,
        CASE WHEN n %% 4 = 0 THEN NULL ELSE 'Details of task ' || n END AS description
    FROM generate_series(1, %(count)s) AS n
) AS generated
"""


class DatabaseUnavailable(RuntimeError):
    """No PostgreSQL could be found or started."""


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    """Where the benchmark's tasks live, and how that place was obtained."""

    url: str  # postgresql://... (libpq reads it, SQLAlchemy normalises it for the service)
    origin: str

    @property
    def name(self) -> str:
        return make_url(self.url).database or ""


def plain_url(url: str) -> str:
    """``postgresql://...`` whatever driver the URL names."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect(url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(plain_url(url))
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def _own_database(server_url: str, origin: str) -> Iterator[BenchDatabase]:
    with created_database(plain_url(server_url), DATABASE_PREFIX, random_digits=12) as url:
        yield BenchDatabase(plain_url(url), f"{origin}, database {make_url(url).database}")


@contextlib.contextmanager
def _shared_database(url: str, users: list[str]) -> Iterator[BenchDatabase]:
    yield BenchDatabase(plain_url(url), f"{safe_url(url)} (used as is)")
    with contextlib.closing(connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM tasks WHERE user_id = ANY(%s)", (users,))


@contextlib.contextmanager
def bench_database(users: list[str]) -> Iterator[BenchDatabase]:
    """The database of this run (see the module docstring), removed when the block ends."""
    forced_cluster = os.environ.get("BENCH_THROWAWAY_CLUSTER", "").strip() in {"1", "true", "yes"}
    for variable in ("BENCH_DATABASE_URL", "TEST_DATABASE_URL"):
        configured = plain_url(os.environ.get(variable, "").strip() or "postgresql://")
        if forced_cluster or configured == "postgresql://":
            continue
        if not is_reachable(configured):
            raise DatabaseUnavailable(f"{variable} is set but does not answer")
        if can_create_databases(configured):
            with _own_database(configured, f"{variable} {safe_url(configured)}") as database:
                yield database
        else:
            with _shared_database(configured, users) as database:
                yield database
        return
    if not forced_cluster and is_reachable(LOCAL_SERVER_URL):
        with _own_database(LOCAL_SERVER_URL, "local server 127.0.0.1:5432") as database:
            yield database
        return
    cluster = ThrowawayCluster({"max_connections": "200"}, directory_prefix="todo-bench-pg-")
    reason = cluster.unavailable_reason()
    if reason is not None:
        raise DatabaseUnavailable(f"no PostgreSQL: nothing on 127.0.0.1:5432 and {reason}")
    try:
        server_url = cluster.start()
        with _own_database(server_url, f"throwaway cluster on port {cluster.port}") as database:
            yield database
    finally:
        cluster.stop()


def seed(url: str, counts: dict[str, int]) -> list[str]:
    """Give each user its tasks (older users' first), analyse; return the first user's ids."""
    with contextlib.closing(connect(url)) as connection, connection.cursor() as cursor:
        for user, count in counts.items():
            cursor.execute("SELECT now() - interval '1 day'")
            (newest,) = cursor.fetchone() or (None,)
            cursor.execute(SEED_SQL, {"user": user, "count": count, "newest": newest})
        cursor.execute("VACUUM (ANALYZE) tasks")
        cursor.execute("SELECT id FROM tasks WHERE user_id = %s", (next(iter(counts)),))
        return [str(task_id) for (task_id,) in cursor.fetchall()]


def only_task_ids(url: str, users: list[str]) -> dict[str, str]:
    """The id of each of ``users``' task (each seeded one)."""
    with contextlib.closing(connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT user_id, id FROM tasks WHERE user_id = ANY(%s)", (users,))
        return {user: str(task_id) for user, task_id in cursor.fetchall()}


@dataclass(frozen=True, slots=True)
class Reading:
    """Sessions ever opened to the bench database, and its live backends' CPU seconds."""

    sessions: int
    backend_cpu: dict[int, float] | None  # None: the backends are not on this machine


class Watch:
    """One long-lived connection to the bench database that reads its statistics.

    Opened once, before any measurement, so that its own session is never
    counted in a run. ``sessions`` is cumulative and each backend flushes its
    share to shared memory when its first transaction ends, then at most once
    a second and at exit: read it after a settle (``pg_stat_clear_snapshot``
    drops this connection's cached copy).
    """

    def __init__(self, url: str) -> None:
        self._connection = connect(url)

    def read(self) -> Reading:
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            (sessions,) = cursor.fetchone() or (0,)
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        cpu = {
            pid: seconds for pid in pids if (seconds := cpu_seconds(pid, "postgres")) is not None
        }
        return Reading(int(sessions), cpu if cpu or not pids else None)

    def vacuum(self) -> None:
        """``VACUUM (ANALYZE) tasks`` now, so that autovacuum does not run during a later run."""
        with self._connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) tasks")

    def close(self) -> None:
        self._connection.close()
