"""The packaged Alembic migrations: up from empty, down to empty, and no drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from todo_adapters.sql import (
    current_revision,
    downgrade_database,
    make_engine,
    upgrade_database,
)
from todo_adapters.sql.migrations import SCRIPT_LOCATION, head_revision, include_name
from todo_adapters.sql.rows import metadata

EXPECTED_INDEXES = {
    "ix_tasks_user_created",
    "ix_tasks_user_updated",
    "ix_tasks_user_due",
    "ix_tasks_user_priority",
    "ix_tasks_user_status_rank",
    "ix_tasks_user_title",
    "ix_tasks_user_status_created",
    "ix_tasks_user_remind",
}


@pytest.fixture
def sqlite_file_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend: a new SQLite file, a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))


def test_the_scripts_ship_inside_the_package_without_an_ini_file() -> None:
    assert SCRIPT_LOCATION.is_dir()
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert SCRIPT_LOCATION.parent.name == "sql"
    assert head_revision() == "0004_task_counts"


def test_an_empty_database_upgrades_to_head_and_downgrades_to_empty(empty_database: str) -> None:
    engine = make_engine(empty_database)
    assert current_revision(engine) is None

    upgrade_database(engine)
    after_upgrade = (current_revision(engine), _tables(engine))
    indexes = {index["name"] for index in inspect(engine).get_indexes("tasks")}
    downgrade_database(engine, "base")
    after_downgrade = (current_revision(engine), _tables(engine) - {"alembic_version"})

    assert after_upgrade == (
        head_revision(),
        {
            "tasks",
            "task_tags",
            "change_clocks",
            "task_changes",
            "idempotency_keys",
            "alembic_version",
        },
    )
    assert indexes == EXPECTED_INDEXES
    assert after_downgrade == (None, set())
    engine.dispose()


def test_upgrading_twice_changes_nothing(empty_database: str) -> None:
    upgrade_database(empty_database)

    upgrade_database(empty_database)

    assert current_revision(empty_database) == head_revision()


def test_the_migrated_schema_matches_the_models_with_no_autogenerate_drift(
    empty_database: str,
) -> None:
    engine = make_engine(empty_database)
    upgrade_database(engine)

    drift = _drift(engine)

    assert drift == []
    engine.dispose()


def test_the_drift_check_does_notice_a_missing_index(sqlite_file_url: str) -> None:
    engine = make_engine(sqlite_file_url)
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_tasks_user_due")

    drift = _drift(engine)

    assert [entry[0] for entry in drift] == ["add_index"]  # type: ignore[index]
    engine.dispose()


def test_migrations_run_from_any_working_directory(
    sqlite_file_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    upgrade_database(sqlite_file_url)

    assert current_revision(sqlite_file_url) == head_revision()
