"""``make_engine``, ``normalize_database_url`` and the readiness probe."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id
from todo_adapters.sql import (
    database_is_reachable,
    make_engine,
    normalize_database_url,
    upgrade_database,
)
from todo_core.edits import TaskDraft
from todo_core.services import TaskService

NEON_URL = (
    "postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname"
    "?sslmode=require&channel_binding=require"
)


@pytest.mark.parametrize(
    ("given", "expected_driver"),
    [
        ("postgresql://u:p@db.example/app", "postgresql+psycopg2"),
        ("postgres://u:p@db.example/app", "postgresql+psycopg2"),
        ("postgresql+psycopg2://u:p@db.example/app", "postgresql+psycopg2"),
        ("sqlite:///relative.db", "sqlite+pysqlite"),
        ("sqlite+pysqlite:////abs/path.db", "sqlite+pysqlite"),
        ("sqlite://", "sqlite+pysqlite"),
    ],
)
def test_a_url_is_normalised_to_an_explicit_supported_driver(
    given: str, expected_driver: str
) -> None:
    normalised = make_url(normalize_database_url(given))

    assert normalised.drivername == expected_driver
    assert normalised.database == make_url(given).database


def test_a_neon_url_keeps_its_password_and_tls_parameters() -> None:
    normalised = make_url(normalize_database_url(NEON_URL))

    assert normalised.drivername == "postgresql+psycopg2"
    assert normalised.password == "AbC123dEf"
    assert dict(normalised.query) == {"sslmode": "require", "channel_binding": "require"}


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "mysql://u:p@db.example/app",
        "postgresql+psycopg://u:p@db.example/app",
        "postgresql+asyncpg://u:p@db.example/app",
        "oracle://u:p@db.example/app",
    ],
)
def test_a_url_that_cannot_be_parsed_or_names_another_backend_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError, match=r"Database URL|Unsupported database backend"):
        normalize_database_url(url)


def test_the_value_error_does_not_show_the_password() -> None:
    with pytest.raises(ValueError, match="Unsupported database backend") as raised:
        make_engine("mysql://user:s3cr3t-pa55@db.example/app")

    assert "s3cr3t-pa55" not in str(raised.value)


def test_a_postgres_engine_uses_psycopg2_with_the_pool_settings_and_connect_timeout() -> None:
    engine = make_engine(NEON_URL)

    assert engine.dialect.driver == "psycopg2"
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.size() == 10
    assert engine.pool._max_overflow == 0  # an overflow connection is closed when returned
    assert engine.pool._recycle == 1800
    assert engine.pool._timeout == 10
    assert engine.pool._pre_ping is False  # pinged only after a second idle
    assert len(engine.pool.dispatch.checkout) == 1  # the idle check
    _, connect_kwargs = engine.dialect.create_connect_args(engine.url)
    assert connect_kwargs["sslmode"] == "require"
    assert connect_kwargs["channel_binding"] == "require"
    engine.dispose()


def test_every_pool_setting_can_be_overridden() -> None:
    engine = make_engine(
        "postgresql://u@db.example/app",
        pool_size=2,
        max_overflow=0,
        pool_recycle=60,
        pool_timeout=3,
        connect_timeout=1,
        ping_after_idle_seconds=0,
        echo=True,
    )

    assert isinstance(engine.pool, QueuePool)
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 0)
    assert (engine.pool._recycle, engine.pool._timeout, engine.pool._pre_ping) == (60, 3, True)
    assert not engine.pool.dispatch.checkout  # SQLAlchemy pings every checkout itself
    assert engine.echo is True
    engine.dispose()


@pytest.mark.postgres
def test_a_postgres_connection_reads_and_writes_in_utc(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as connection:
        zone = connection.execute(text("SHOW TIME ZONE")).scalar()
        application = connection.execute(text("SHOW application_name")).scalar()

    assert zone == "UTC"
    assert application == "todo-core"


def test_a_sqlite_file_gets_wal_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")

    with engine.connect() as connection:
        journal = connection.execute(text("PRAGMA journal_mode")).scalar()
        busy = connection.execute(text("PRAGMA busy_timeout")).scalar()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()

    assert (journal, foreign_keys) == ("wal", 1)
    assert busy is not None
    assert busy >= 5000
    engine.dispose()


def test_a_relative_sqlite_path_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///relative.db")
    upgrade_database(engine)
    service = TaskService(uow_factory=sql_uow_factory(engine))
    user_id = fresh_user_id()

    created = service.create(actor=user_id, draft=TaskDraft(title="kept on disk"))

    assert (tmp_path / "relative.db").is_file()
    assert service.get(actor=user_id, task_id=created.id).title == "kept on disk"
    engine.dispose()


def test_an_in_memory_sqlite_database_works_for_scripts() -> None:
    engine = make_engine("sqlite://")
    upgrade_database(engine)
    service = TaskService(uow_factory=sql_uow_factory(engine))
    user_id = fresh_user_id()

    service.create(actor=user_id, draft=TaskDraft(title="in memory"))

    assert service.stats(actor=user_id).total == 1
    engine.dispose()


def test_the_readiness_probe_says_yes_for_a_reachable_database(sqlite_engine: Engine) -> None:
    assert database_is_reachable(sqlite_engine) is True


@pytest.mark.postgres
def test_the_readiness_probe_says_yes_for_postgres(postgres_engine: Engine) -> None:
    assert database_is_reachable(postgres_engine) is True


def test_the_readiness_probe_says_no_without_raising_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1)

    reachable = database_is_reachable(engine)

    assert reachable is False
    engine.dispose()


def test_the_readiness_probe_says_no_for_a_sqlite_file_that_cannot_be_opened(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")

    assert database_is_reachable(engine) is False
    engine.dispose()
