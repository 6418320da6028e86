"""Alembic environment of the SQL adapter, shipped inside the package.

``todo_adapters.sql.migrations`` runs it with a connection already open (in
``config.attributes["connection"]``), so no ``alembic.ini`` is needed. The
``alembic`` command line works too, given ``sqlalchemy.url`` in its config.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from todo_adapters.sql.engine import make_engine
from todo_adapters.sql.migrations import configure_context
from todo_adapters.sql.rows import metadata


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` in one transaction."""
    configure_context(context, connection, metadata)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Use the caller's connection, or open one from ``sqlalchemy.url``."""
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported; run them online")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as own_connection:
            run_migrations(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


main()
