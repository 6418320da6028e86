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
The mechanics are in ``tests/support/postgres_server.py``, shared with the benchmark.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, NoReturn

import pytest

from tests.support.postgres_server import (
    LOCAL_SERVER_URL,
    ThrowawayCluster,
    can_create_databases,
    created_database,
    is_reachable,
    safe_url,
)
from todo_adapters.sql import normalize_database_url

__all__ = [
    "DATABASE_PREFIX",
    "LOCAL_ADMIN_URL",
    "can_create_databases",
    "postgres_server",
    "skip_or_fail",
    "temporary_database",
]

LOCAL_ADMIN_URL: Final = normalize_database_url(LOCAL_SERVER_URL)
DATABASE_PREFIX: Final = "todo_test_"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail when ``CI=true`` (a skip must not pass CI)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"PostgreSQL is required on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty ``todo_test_`` database for the duration of the block."""
    with created_database(admin_url, DATABASE_PREFIX) as url:
        yield url


@contextmanager
def postgres_server() -> Iterator[str]:
    """The server-level URL of the PostgreSQL the suite uses (see the module docstring)."""
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        url = normalize_database_url(configured)
        if not is_reachable(url):
            skip_or_fail(
                f"TEST_DATABASE_URL is set but the server does not answer ({safe_url(url)})"
            )
        yield url
        return
    if is_reachable(LOCAL_ADMIN_URL):
        yield LOCAL_ADMIN_URL
        return
    cluster = ThrowawayCluster({"fsync": "off"}, stop_mode="immediate")
    reason = cluster.unavailable_reason()
    if reason is not None:
        skip_or_fail(f"no PostgreSQL: nothing on 127.0.0.1:5432 and {reason}")
    try:
        server_url = cluster.start()
    except (OSError, subprocess.SubprocessError) as error:
        cluster.stop()
        skip_or_fail(f"no PostgreSQL: nothing on 127.0.0.1:5432 and initdb failed ({error})")
    try:
        yield normalize_database_url(server_url)
    finally:
        cluster.stop()
