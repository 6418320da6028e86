"""Run the adapter's Alembic migrations from code, with no ``alembic.ini``.

The scripts live in the package (``todo_adapters/sql/alembic``); Alembic is
configured programmatically to point there. Each function takes a URL (an
engine is made and disposed of for the call) or an ``Engine`` of the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.engine import URL

from todo_adapters.sql.engine import WRITE_INTENT, make_engine

SCRIPT_LOCATION: Final = Path(__file__).resolve().parent / "alembic"
#: The tables these migrations own; anything else in the database is left alone.
OWN_TABLES: Final = frozenset(
    {"tasks", "task_tags", "change_clocks", "task_changes", "idempotency_keys"}
)

DatabaseTarget = str | URL | Engine


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the packaged scripts, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Autogenerate compares only the adapter's own tables."""
    return type_ != "table" or name in OWN_TABLES


def configure_context(
    context: EnvironmentContext | Any, connection: Connection, metadata: MetaData
) -> None:
    """The one place the migration context is configured (env.py and the drift test)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


@contextmanager
def _connection(target: DatabaseTarget) -> Iterator[Connection]:
    engine = target if isinstance(target, Engine) else make_engine(target, pool_size=1)
    try:
        with engine.connect() as connection:
            yield connection.execution_options(**{WRITE_INTENT: True})
    finally:
        if engine is not target:
            engine.dispose()


def upgrade_database(target: DatabaseTarget, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (an empty database included)."""
    with _connection(target) as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def downgrade_database(target: DatabaseTarget, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"`` drops everything)."""
    with _connection(target) as connection:
        command.downgrade(alembic_config(connection), revision)
        connection.commit()


def current_revision(target: DatabaseTarget) -> str | None:
    """The revision the database is at, or ``None`` if it was never migrated."""
    with _connection(target) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
