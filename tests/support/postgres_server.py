"""PostgreSQL provisioning shared by the integration tests and the benchmark.

Probing a server, creating and dropping randomly named databases of one's own,
and a throwaway cluster (``initdb`` + ``pg_ctl`` in a temporary directory, on a
free port). URLs may name any PostgreSQL driver; connections are made with
psycopg2. No pytest here: ``tests/integration/postgres.py`` and
``bench/database.py`` add the test- and bench-specific rules on top.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.local_server import free_port

LOCAL_SERVER_URL: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
PROBE_TIMEOUT_SECONDS: Final = 3


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str, **options: Any) -> Engine:
    # psycopg2 whatever driver ``url`` names: SQLAlchemy 2.1 reads a bare
    # ``postgresql://`` as psycopg 3, which only the benchmark's floor uses.
    psycopg2_url = make_url(url).set(drivername="postgresql+psycopg2")
    return create_engine(psycopg2_url, poolclass=NullPool, **options)


def is_reachable(url: str) -> bool:
    """Whether a server answers ``SELECT 1`` at ``url`` within a few seconds."""
    engine = _engine(url, connect_args={"connect_timeout": PROBE_TIMEOUT_SECONDS})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    finally:
        engine.dispose()
    return True


def quoted(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _admin_engine(server_url: str) -> Engine:
    return _engine(server_url, isolation_level="AUTOCOMMIT")


def can_create_databases(server_url: str) -> bool:
    """Whether the role of ``server_url`` may create databases."""
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            allowed = connection.execute(
                text("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
    finally:
        engine.dispose()
    return bool(allowed)


def create_database(server_url: str, prefix: str, *, random_digits: int = 16) -> str:
    """Create a database named ``prefix`` + random hex on ``server_url``'s server; return its URL.

    The URL is ``server_url`` with the new database (same driver as written, same credentials).
    """
    name = f"{prefix}{uuid.uuid4().hex[:random_digits]}"
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted(name)}"))
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str, prefix: str) -> None:
    """Drop database ``name``, ending any connection still open to it.

    Refuses (``ValueError``) a name without ``prefix``: only databases made by
    ``create_database`` with that prefix are dropped.
    """
    if not name.startswith(prefix):
        raise ValueError(f"refusing to drop a database not named {prefix}...: {name!r}")
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)}"))
    finally:
        engine.dispose()


@contextmanager
def created_database(server_url: str, prefix: str, *, random_digits: int = 16) -> Iterator[str]:
    """The URL of a fresh database (see ``create_database``), dropped when the block ends."""
    url = create_database(server_url, prefix, random_digits=random_digits)
    try:
        yield url
    finally:
        drop_database(server_url, make_url(url).database or "", prefix)


class ThrowawayCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free local port.

    Trust auth for user ``postgres``, listening on 127.0.0.1 only; run as the
    ``postgres`` OS user when we are root. ``settings`` are extra server
    settings (``-c name=value``); ``stop_mode`` is ``pg_ctl stop -m``'s.
    """

    def __init__(
        self,
        settings: Mapping[str, str] | None = None,
        *,
        directory_prefix: str = "todo-pg-",
        stop_mode: str = "fast",
    ) -> None:
        self.initdb = shutil.which("initdb")
        self.pg_ctl = shutil.which("pg_ctl")
        self.settings = dict(settings or {})
        self.directory_prefix = directory_prefix
        self.stop_mode = stop_mode
        self.directory: Path | None = None
        self.port = 0
        self._run_as: list[str] = []

    def unavailable_reason(self) -> str | None:
        """Why a cluster cannot be started here, or ``None`` if it can."""
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
        """Create and start the cluster; return its server-level ``postgresql://`` URL."""
        assert self.initdb is not None
        assert self.pg_ctl is not None
        self.directory = Path(tempfile.mkdtemp(prefix=self.directory_prefix))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        data = self.directory / "data"
        self.port = free_port()
        self._run(
            self.initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        settings = {"listen_addresses": "127.0.0.1", **self.settings}
        options = " ".join(
            [f"-p {self.port} -k {self.directory}"]
            + [f"-c {name}={value}" for name, value in settings.items()]
        )
        self._run(
            self.pg_ctl, "-D", str(data), "-o", options, "-l", str(self.directory / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the cluster and delete its directory (nothing to do if never started)."""
        if self.directory is None:
            return
        data = self.directory / "data"
        if self.pg_ctl is not None and (data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(data), "-m", self.stop_mode, "-w", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _run(self, *command: str, check: bool = True) -> None:
        subprocess.run([*self._run_as, *command], check=check, capture_output=True, timeout=120)
