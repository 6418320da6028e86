"""DB_STATEMENT_TIMEOUT_MS: a slow statement is cancelled by PostgreSQL, the request is a
503 within the timeout, and the next request on the same (only) pooled connection succeeds;
directly and through PgBouncer in transaction mode (no session-level ``SET``).

The statement is made slow by a row lock the test holds on the user's clock row, which a
create must update.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg2
import pytest

from tests.integration.http.conftest import postgres_container
from tests.integration.postgres import skip_or_fail
from tests.support.pgbouncer import pgbouncer_executable, running_pgbouncer
from tests.unit.http.support import bearer, serve

pytestmark = pytest.mark.postgres

TIMEOUT_MS = 300


@pytest.fixture(params=["direct", "pgbouncer"])
def database_url(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[str]:
    if request.param == "direct":
        yield postgres_url
        return
    if pgbouncer_executable() is None:
        skip_or_fail("pgbouncer is not installed: the statement timeout through it is untested")
    with running_pgbouncer(postgres_url, pool_size=2) as bouncer:
        yield bouncer.url


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


@pytest.mark.timeout(60)
def test_a_statement_over_the_timeout_is_a_503_and_the_next_request_succeeds(
    database_url: str, postgres_url: str, user: str
) -> None:
    container = postgres_container(
        database_url, db_statement_timeout_ms=TIMEOUT_MS, db_pool_size=1, rate_limit="off"
    )
    auth = bearer(user)
    locker = psycopg2.connect(_dsn(postgres_url))
    try:
        with serve(container) as client:
            assert (
                client.post("/api/tasks", json={"title": "first"}, headers=auth).status_code == 201
            )
            with locker.cursor() as cursor:  # holds the clock row until rollback
                cursor.execute("SELECT 1 FROM change_clocks WHERE user_id = %s FOR UPDATE", (user,))

            started = time.monotonic()
            slow = client.post("/api/tasks", json={"title": "blocked"}, headers=auth)
            elapsed = time.monotonic() - started
            locker.rollback()
            after = client.post("/api/tasks", json={"title": "after"}, headers=auth)
            listed = client.get("/api/tasks", headers=auth)
    finally:
        locker.close()
        container.engine().dispose()

    assert slow.status_code == 503
    assert slow.json() == {"detail": "Service temporarily unavailable"}
    assert slow.headers["Retry-After"] == "5"
    assert TIMEOUT_MS / 1000 <= elapsed < TIMEOUT_MS / 1000 + 1.5
    assert after.status_code == 201
    assert [task["title"] for task in listed.json()] == ["after", "first"]
