"""Checks made once before serving, so a misconfigured server refuses to start in words.

Settings problems are reported one line each; serving verifies tokens, so
the token settings are demanded here (and before waiting on the database, so
a missing secret is reported at once). An unreachable PostgreSQL is retried
with backoff for a bounded time, because a Neon compute that was suspended
takes a few seconds to wake up. Once it answers, its schema must be at the
revision this version ships: an unmigrated database is refused in one line
rather than served as a 503 on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Protocol

from sqlalchemy.engine import Engine

from todo_adapters.settings import Settings, SettingsError
from todo_adapters.sql.schema import DatabaseStatus, check_database

#: How long start-up waits for the database before giving up.
DATABASE_WAIT_SECONDS: Final = 60.0
_FIRST_DELAY: Final = 0.5
_MAX_DELAY: Final = 8.0


class ConfigurationError(Exception):
    """The service cannot start; the message says why, one problem per line."""


class _Services(Protocol):
    def settings(self) -> Settings: ...

    def engine(self) -> Engine: ...

    def token_verifier(self) -> object: ...


def preflight(
    container: _Services,
    *,
    report: Callable[[str], None],
    wait_seconds: float = DATABASE_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Settings:
    """Validate settings, build the token verifier, wait for the database, check its schema.

    Raises ``ConfigurationError`` (one line per problem) if serving is hopeless.
    """
    try:
        settings = container.settings()
        container.token_verifier()
    except SettingsError as error:
        raise ConfigurationError("\n".join(error.problems)) from None
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    engine = container.engine()
    deadline = monotonic() + wait_seconds
    delay = _FIRST_DELAY
    while (check := check_database(engine)).status is DatabaseStatus.UNREACHABLE:
        where = engine.url.render_as_string(hide_password=True)
        if monotonic() + delay > deadline:
            raise ConfigurationError(
                f"DATABASE_URL: cannot reach {where} (gave up after retrying; {check.cause})"
            )
        report(f"database {where} is not reachable yet ({check.cause}); retrying in {delay:.1f} s")
        sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)
    if check.status is DatabaseStatus.SCHEMA_OUT_OF_DATE:
        raise ConfigurationError(check.schema_problem)
    return settings
