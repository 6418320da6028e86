"""Fixtures of the SQL integration tests: PostgreSQL (see ``postgres.py``) and SQLite.

Session-scoped, for reuse by other suites too:

- ``postgres_admin_url``: server-level URL, to create more databases.
- ``postgres_url``: URL of the suite's own database, migrated to head.
- ``postgres_engine``: an engine (``make_engine``) on ``postgres_url``.
- ``sqlite_url`` / ``sqlite_engine``: a migrated SQLite file in a temp dir.

Tests using the PostgreSQL fixtures carry ``@pytest.mark.postgres``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from tests.integration.postgres import (
    can_create_databases,
    postgres_server,
    skip_or_fail,
    temporary_database,
)
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import SqlUnitOfWork, make_engine, upgrade_database
from todo_core.ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


def sql_uow_factory(engine: Engine) -> UowFactory:
    """Fresh ``SqlUnitOfWork``s over ``engine``, one per call (as the DI container builds)."""
    return lambda: SqlUnitOfWork(engine)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """Server-level URL of the PostgreSQL the suite uses."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_can_create_databases(postgres_admin_url: str) -> bool:
    """Whether the suite may create databases of its own on the server."""
    return can_create_databases(postgres_admin_url)


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str, postgres_can_create_databases: bool) -> Iterator[str]:
    """The suite's own database, migrated to head and dropped at the end."""
    if not postgres_can_create_databases:
        # A server handed over by TEST_DATABASE_URL where the role may not create
        # databases: use that database itself (tests never assume it is empty).
        upgrade_database(postgres_admin_url)
        yield postgres_admin_url
        return
    with temporary_database(postgres_admin_url) as url:
        upgrade_database(url)
        yield url


@pytest.fixture
def fresh_postgres_url(
    postgres_admin_url: str, postgres_can_create_databases: bool
) -> Iterator[str]:
    """An empty database of its own for one test, dropped afterwards."""
    if not postgres_can_create_databases:
        skip_or_fail("the PostgreSQL role may not create databases")
    with temporary_database(postgres_admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the suite's database, disposed of at the end."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file, shared by the session (tests use their own user ids)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'todo.db'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on the session's SQLite file."""
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the suite's PostgreSQL, which a test can cut and restore."""
    with TcpProxy.in_front_of(postgres_url) as started:
        yield started
