"""A throwaway PgBouncer in transaction mode, in front of the suite's PostgreSQL.

Neon's pooled endpoint is PgBouncer in transaction pooling: consecutive
transactions of one client connection may run on different server
connections, so anything kept in a session (``SET``, server-side prepared
statements, advisory locks, ``LISTEN``, temporary tables) silently breaks.
Running the integration suite through a local bouncer with a tiny server pool
shows that nothing relies on it.

The bouncer gets a temporary directory of its own (config and auth file), a
free port on 127.0.0.1, logs to a file in that directory, and is stopped and
removed by ``running_pgbouncer`` whatever happens. PgBouncer refuses to run as
root, so under root it is told to drop to an unprivileged user (``postgres``
when that account exists, else ``nobody``) and its files are made readable.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg2

from tests.support.local_server import free_port

#: Where Debian and most distributions put the binary (``/usr/sbin`` is not on every PATH).
_SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
#: Server connections per (database, user) pair: small, so clients share them.
DEFAULT_POOL_SIZE = 3
START_TIMEOUT_SECONDS = 15.0


class PgBouncerError(RuntimeError):
    """PgBouncer could not be started (the message carries the end of its log)."""


@dataclass(frozen=True, slots=True)
class PgBouncer:
    """A running bouncer: ``url`` reaches the upstream database through it."""

    url: str
    port: int
    database: str
    user: str
    pool_mode: str
    pool_size: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def log_path(self) -> Path:
        return self.directory / "pgbouncer.log"

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the bouncer's log, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def pgbouncer_executable() -> str | None:
    """The ``pgbouncer`` binary, or ``None`` when it is not installed."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    for directory in _SEARCH_PATH:
        candidate = Path(directory) / "pgbouncer"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _quote_ini(value: str) -> str:
    """A value for a libpq-style ``key=value`` pair inside the ``[databases]`` section."""
    if value and all(ch.isalnum() or ch in "._-/" for ch in value):
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _quote_auth(value: str) -> str:
    """A field of PgBouncer's auth file: double quotes, doubled inside."""
    return '"' + value.replace('"', '""') + '"'


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PgBouncerError("PgBouncer refuses to run as root and no unprivileged user exists")


def _write_config(
    directory: Path,
    *,
    port: int,
    alias: str,
    upstream: dict[str, str],
    user: str,
    password: str,
    pool_size: int,
) -> Path:
    pairs = " ".join(f"{key}={_quote_ini(value)}" for key, value in upstream.items() if value)
    lines = [
        "[databases]",
        f"{alias} = {pairs}",
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {directory / 'userlist.txt'}",
        f"admin_users = {user}",
        # The point of the exercise: a server connection is lent per transaction.
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        "max_client_conn = 200",
        # Harmless client defaults (psycopg 3, JDBC); everything else, ``options``
        # included, is refused as it would be by Neon: nothing is silently dropped.
        "ignore_startup_parameters = extra_float_digits",
        "server_check_delay = 0",
        "log_connections = 0",
        "log_disconnections = 0",
    ]
    if os.geteuid() == 0:
        lines.append(f"user = {_unprivileged_user()}")
    config = directory / "pgbouncer.ini"
    config.write_text("\n".join(lines) + "\n")
    (directory / "userlist.txt").write_text(f"{_quote_auth(user)} {_quote_auth(password)}\n")
    for path in (config, directory / "userlist.txt"):
        path.chmod(0o644)
    directory.chmod(0o755)
    return config


def _upstream_of(database_url: str) -> tuple[dict[str, str], str, str, str]:
    """libpq keywords for the bouncer's upstream, the user, the password and the database."""
    parts = urlsplit(database_url)
    database = unquote(parts.path.lstrip("/")) or "postgres"
    user = unquote(parts.username or "") or os.environ.get("PGUSER", "") or "postgres"
    password = unquote(parts.password or "")
    host = unquote(parts.hostname or "") or "127.0.0.1"
    query = dict(
        pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair
    )  # ``?host=/var/run/postgresql`` is how a Unix socket is named in a URL
    host = unquote(query.get("host", host))
    upstream = {
        "host": host,
        "port": str(parts.port or 5432),
        "dbname": database,
        "user": user,
        "password": password,
    }
    return upstream, user, password, database


def _client_url(database_url: str, *, port: int, alias: str) -> str:
    """The same URL (scheme, credentials) pointed at the bouncer, without TLS."""
    parts = urlsplit(database_url)
    userinfo = ""
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "") + "@"
    elif "@" not in parts.netloc:
        userinfo = "postgres@"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0] not in {"host", "port", "sslmode"}
    )
    query = "&".join(filter(None, [query, "sslmode=disable"]))
    return urlunsplit((parts.scheme, f"{userinfo}127.0.0.1:{port}", f"/{alias}", query, ""))


def _wait_until_ready(bouncer: PgBouncer, deadline: float) -> None:
    dsn = (
        f"host=127.0.0.1 port={bouncer.port} dbname={bouncer.database} "
        f"user={_quote_ini(bouncer.user)} sslmode=disable connect_timeout=2"
    )
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if bouncer.process.poll() is not None:
            raise PgBouncerError(
                f"pgbouncer exited with status {bouncer.process.returncode}:\n{bouncer.log_tail()}"
            )
        try:
            connection = psycopg2.connect(dsn)
        except psycopg2.OperationalError as error:
            last_error = error
            time.sleep(0.1)
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        finally:
            connection.close()
    raise PgBouncerError(
        f"pgbouncer did not accept connections in time ({last_error}):\n{bouncer.log_tail()}"
    )


def stop_pgbouncer(bouncer: PgBouncer) -> None:
    """Stop the bouncer (SIGTERM, then SIGKILL) and remove its directory."""
    process = bouncer.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    shutil.rmtree(bouncer.directory, ignore_errors=True)


def start_pgbouncer(
    database_url: str,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    executable: str | None = None,
    timeout: float = START_TIMEOUT_SECONDS,
) -> PgBouncer:
    """Start a transaction-mode bouncer in front of ``database_url``; see ``running_pgbouncer``."""
    binary = executable or pgbouncer_executable()
    if binary is None:
        raise PgBouncerError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    upstream, user, password, database = _upstream_of(database_url)
    alias = database
    attempts = 3
    for attempt in range(attempts):
        directory = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
        port = free_port()
        config = _write_config(
            directory,
            port=port,
            alias=alias,
            upstream=upstream,
            user=user,
            password=password,
            pool_size=pool_size,
        )
        log = (directory / "pgbouncer.log").open("wb")
        try:
            process = subprocess.Popen(
                [binary, str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        bouncer = PgBouncer(
            url=_client_url(database_url, port=port, alias=alias),
            port=port,
            database=alias,
            user=user,
            pool_mode="transaction",
            pool_size=pool_size,
            directory=directory,
            process=process,
        )
        try:
            _wait_until_ready(bouncer, time.monotonic() + timeout)
        except PgBouncerError:
            port_taken = "Address already in use" in bouncer.log_tail()
            stop_pgbouncer(bouncer)
            if port_taken and attempt < attempts - 1:
                continue  # another process took the free port between probe and bind
            raise
        return bouncer
    raise PgBouncerError("pgbouncer could not bind a free port")  # pragma: no cover


@contextlib.contextmanager
def running_pgbouncer(
    database_url: str, *, pool_size: int = DEFAULT_POOL_SIZE
) -> Iterator[PgBouncer]:
    """A bouncer in transaction mode in front of ``database_url`` for the ``with`` block.

    The yielded ``url`` keeps the scheme and credentials of ``database_url``
    and points at ``127.0.0.1:<port>/<same database name>``.
    """
    bouncer = start_pgbouncer(database_url, pool_size=pool_size)
    try:
        yield bouncer
    finally:
        stop_pgbouncer(bouncer)
