"""The dependency-injector container: one place that builds the services from the settings.

It imports no web framework and no driving adapter, so a script, the CLI,
the MCP server and the HTTP app all build exactly the same services
(``Container().task_service()``). Nothing is built until a provider is
called. Each driving adapter wires its own modules to it (HTTP:
``todo_http.app.create_app``), by provider name, never by importing it.

Tests swap the storage under the real use cases by overriding the lowest
provider: ``container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, store))``
(``task_service`` holds ``unit_of_work.provider``, so it follows the override).
"""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers
from sqlalchemy import Engine

from todo_adapters.jwt import TokenVerifier
from todo_adapters.rate_limit import UserRateLimiter, rate_limiter_from
from todo_adapters.recurrence import DateutilOccurrences
from todo_adapters.settings import Settings, load_settings, require_token_settings
from todo_adapters.sql import SqlUnitOfWork, make_engine
from todo_adapters.sql.schema import check_database
from todo_core.services import TaskService, utc_now


def engine_from(settings: Settings) -> Engine:
    """The SQLAlchemy engine with the pool settings.

    No overflow: SQLAlchemy closes an overflow connection when it is returned,
    so under load every request beyond the pool would open a new database
    session. The HTTP adapter admits as many requests as the pool holds
    (``todo_http.gate``) instead.
    """
    return make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
        ping_after_idle_seconds=settings.db_ping_after_idle_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        prepared_statements=settings.db_prepared_statements,
    )


def token_verifier_from(settings: Settings) -> TokenVerifier:
    """HS256 with the shared secret and/or the JWKS, as configured.

    Raises ``SettingsError`` (one line) when neither is set: only what
    verifies tokens needs them, so commands that never do run without.
    """
    require_token_settings(settings)
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret is not None else None
    return TokenVerifier(
        secret=secret,
        jwks_url=settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway_seconds=settings.jwt_leeway_seconds,
        jwks_timeout_seconds=settings.jwks_timeout_seconds,
    )


def verification_may_block(settings: Settings) -> bool:
    """Whether verifying a token may wait on the network (a JWKS fetch).

    HS256 verification is pure computation and cheap enough for the event
    loop; with a JWKS an unknown ``kid`` triggers a fetch, so the HTTP
    adapter runs verification in the threadpool.
    """
    return settings.jwks_url is not None


def rate_limiter_for(settings: Settings) -> UserRateLimiter | None:
    """``RATE_LIMIT`` per user, in Redis when ``REDIS_URL`` is set; ``None`` when ``off``."""
    return rate_limiter_from(settings.rate_limit, redis_url=settings.redis_url)


def retention_from(settings: Settings) -> timedelta:
    """How long the changes feed keeps tombstones (``CHANGES_RETENTION_DAYS``)."""
    return timedelta(days=settings.changes_retention_days)


class Container(containers.DeclarativeContainer):
    """Settings -> engine -> unit of work -> use cases; settings -> token verifier."""

    settings = providers.ThreadSafeSingleton(load_settings)
    clock = providers.Object(utc_now)

    engine = providers.ThreadSafeSingleton(engine_from, settings)
    unit_of_work = providers.Factory(SqlUnitOfWork, engine)
    occurrences = providers.ThreadSafeSingleton(DateutilOccurrences)
    retention = providers.Callable(retention_from, settings)
    task_service = providers.ThreadSafeSingleton(
        TaskService,
        uow_factory=unit_of_work.provider,
        clock=clock,
        occurrences=occurrences,
        retention=retention,
        max_tasks_per_user=settings.provided.max_tasks_per_user,
    )
    database_check = providers.Callable(check_database, engine)

    rate_limiter = providers.ThreadSafeSingleton(rate_limiter_for, settings)
    token_verifier = providers.ThreadSafeSingleton(token_verifier_from, settings)
    token_verification_may_block = providers.ThreadSafeSingleton(verification_may_block, settings)
