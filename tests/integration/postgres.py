"""Where the integration tests find PostgreSQL, and databases of their own on it.

In order of preference:

1. ``TEST_DATABASE_URL``: a server the suite may use (databases of its own are
   created there when the role may; otherwise that database itself is used).
2. ``127.0.0.1:5432`` with trust auth (user ``postgres``, database ``postgres``).
3. A throwaway cluster: ``initdb`` into a temporary directory, ``pg_ctl start``
   on a free port, stopped and deleted afterwards (needs ``initdb``/``pg_ctl``).
4. Otherwise the PostgreSQL tests are skipped with the reason, or fail when
   ``CI=true``: a CI run must not pass by skipping them.

Every database the suite creates has a random ``todo_test_`` name and is
dropped (after ending leftover connections) when the suite is done with it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from todo_adapters.sql import normalize_database_url

LOCAL_ADMIN_URL: Final = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
DATABASE_PREFIX: Final = "todo_test_"
_PROBE_TIMEOUT_SECONDS: Final = 3


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail when ``CI=true`` (a skip must not pass CI)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"PostgreSQL is required on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def is_reachable(url: str) -> bool:
    """Whether a server answers ``SELECT 1`` at ``url`` within a few seconds."""
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": _PROBE_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    finally:
        engine.dispose()
    return True


def _admin_engine(admin_url: str) -> Engine:
    return create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_database(admin_url: str) -> str:
    """Create a database with a random name on ``admin_url``'s server; return its URL."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {_quoted(name)}"))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, database_url: str) -> None:
    """Drop a database this suite created, ending any connection still open to it."""
    name = make_url(database_url).database
    if not name or not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to drop a database the suite did not create: {name!r}")
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)}"))
    finally:
        engine.dispose()


@contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty database for the duration of the block."""
    url = create_database(admin_url)
    try:
        yield url
    finally:
        drop_database(admin_url, url)


def can_create_databases(admin_url: str) -> bool:
    """Whether the role of ``admin_url`` may create databases."""
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            allowed = connection.execute(
                text("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
    finally:
        engine.dispose()
    return bool(allowed)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free local port."""

    def __init__(self) -> None:
        self.initdb = shutil.which("initdb")
        self.pg_ctl = shutil.which("pg_ctl")
        self.directory: Path | None = None
        self.port = 0
        self._run_as: list[str] = []

    def unavailable_reason(self) -> str | None:
        """Why a cluster cannot be started here, or ``None`` if it can."""
        if self.initdb is None or self.pg_ctl is None:
            return "initdb/pg_ctl are not installed"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run initdb as"
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
        return None

    def start(self) -> str:
        """Create and start the cluster; return its server-level URL."""
        assert self.initdb is not None
        assert self.pg_ctl is not None
        self.directory = Path(tempfile.mkdtemp(prefix="todo-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        data = self.directory / "data"
        self.port = _free_port()
        self._run(
            self.initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(data), "-o", options, "-l", str(self.directory / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the cluster and delete its directory."""
        if self.directory is None:
            return
        data = self.directory / "data"
        if self.pg_ctl is not None and (data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _run(self, *command: str, check: bool = True) -> None:
        subprocess.run(
            [*self._run_as, *command],
            check=check,
            capture_output=True,
            timeout=120,
        )


@contextmanager
def postgres_server() -> Iterator[str]:
    """The server-level URL of the PostgreSQL the suite uses (see the module docstring)."""
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        url = normalize_database_url(configured)
        if not is_reachable(url):
            skip_or_fail(f"TEST_DATABASE_URL is set but the server does not answer ({_safe(url)})")
        yield url
        return
    if is_reachable(LOCAL_ADMIN_URL):
        yield LOCAL_ADMIN_URL
        return
    cluster = ThrowawayCluster()
    reason = cluster.unavailable_reason()
    if reason is not None:
        skip_or_fail(f"no PostgreSQL: nothing on 127.0.0.1:5432 and {reason}")
    try:
        url = cluster.start()
    except (OSError, subprocess.SubprocessError) as error:
        cluster.stop()
        skip_or_fail(f"no PostgreSQL: nothing on 127.0.0.1:5432 and initdb failed ({error})")
    try:
        yield url
    finally:
        cluster.stop()


def _safe(url: str) -> str:
    parsed: URL = make_url(url)
    return parsed.render_as_string(hide_password=True)
