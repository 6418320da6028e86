"""The benchmark's own PostgreSQL database: found or made, migrated, and removed afterwards.

The same rules as the integration tests (``tests/integration/postgres.py``),
in order of preference:

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
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg2
from sqlalchemy.engine import make_url

LOCAL_SERVER_URL: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_PREFIX: Final = "todo_bench_"
PROBE_TIMEOUT_SECONDS: Final = 3


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


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def is_reachable(url: str) -> bool:
    try:
        connection = psycopg2.connect(plain_url(url), connect_timeout=PROBE_TIMEOUT_SECONDS)
    except psycopg2.Error:
        return False
    connection.close()
    return True


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _admin(url: str) -> psycopg2.extensions.connection:
    connection = psycopg2.connect(plain_url(url), connect_timeout=PROBE_TIMEOUT_SECONDS)
    connection.autocommit = True
    return connection


def _may_create_databases(url: str) -> bool:
    connection = _admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    return bool(row and row[0])


@contextlib.contextmanager
def own_database(server_url: str, origin: str) -> Iterator[BenchDatabase]:
    """A fresh database on ``server_url``'s server, dropped (connections ended) afterwards."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    connection = _admin(server_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {_quoted(name)}")
    finally:
        connection.close()
    url = make_url(plain_url(server_url)).set(database=name).render_as_string(hide_password=False)
    try:
        yield BenchDatabase(url=url, origin=f"{origin}, database {name} (dropped afterwards)",
                            created=True)  # fmt: skip
    finally:
        drop_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    if not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to drop a database the benchmark did not create: {name!r}")
    connection = _admin(server_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cursor.execute(f"DROP DATABASE IF EXISTS {_quoted(name)}")
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """A private PostgreSQL cluster in a temporary directory, with pg_stat_statements."""

    def __init__(self) -> None:
        self.initdb = shutil.which("initdb")
        self.pg_ctl = shutil.which("pg_ctl")
        self.directory: Path | None = None
        self.port = 0
        self._run_as: list[str] = []

    def unavailable_reason(self) -> str | None:
        if self.initdb is None or self.pg_ctl is None:
            return "initdb/pg_ctl are not on PATH"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run initdb as"
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
        return None

    def start(self) -> str:
        assert self.initdb is not None
        assert self.pg_ctl is not None
        self.directory = Path(tempfile.mkdtemp(prefix="todo-bench-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        data = self.directory / "data"
        self.port = _free_port()
        self._run(self.initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c shared_preload_libraries=pg_stat_statements -c max_connections=200"
        )
        self._run(self.pg_ctl, "-D", str(data), "-o", options, "-l",
                  str(self.directory / "log"), "-w", "-t", "60", "start")  # fmt: skip
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.directory is None:
            return
        data = self.directory / "data"
        if self.pg_ctl is not None and (data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _run(self, *command: str, check: bool = True) -> None:
        subprocess.run(  # noqa: S603 - fixed executables found on PATH
            [*self._run_as, *command], check=check, capture_output=True, timeout=120
        )


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
            if not is_reachable(configured):
                raise DatabaseUnavailable(f"{variable} is set but does not answer")
            if _may_create_databases(configured):
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
    cluster = ThrowawayCluster()
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
