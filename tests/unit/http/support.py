"""Helpers shared by the HTTP tests: tokens, an app over the in-memory adapter, shapes."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dependency_injector import providers

with warnings.catch_warnings():
    # Starlette's TestClient still runs on httpx here; its deprecation is not ours to fix.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from todo_adapters.jwt import mint_hs256_token
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_adapters.settings import Settings, load_settings
from todo_adapters.sql.schema import DatabaseCheck, DatabaseStatus
from todo_bootstrap.container import Container
from todo_http.app import create_app
from todo_http.settings import HttpSettings, load_http_settings

__all__ = [
    "ALLOWED_ORIGIN",
    "OTHER_SECRET",
    "SECRET",
    "SHAPES",
    "TestClient",
    "bearer",
    "make_http_settings",
    "make_settings",
    "memory_container",
    "serve",
]

SECRET = "an-http-test-secret-that-is-long-enough-0123456789"
OTHER_SECRET = "another-secret-that-is-also-long-enough-0123456789"
ALLOWED_ORIGIN = "http://localhost:3000"


def make_settings(**values: Any) -> Settings:
    """Settings that ignore the developer's ``.env``."""
    values.setdefault("jwt_secret", SECRET)
    values.setdefault("database_url", "sqlite://")
    return load_settings(_env_file=None, **values)


def make_http_settings(**values: Any) -> HttpSettings:
    """The HTTP adapter's settings, ignoring the developer's ``.env`` too."""
    values.setdefault("cors_origins", f"{ALLOWED_ORIGIN},https://app.example.com")
    return load_http_settings(_env_file=None, **values)


def memory_container(
    store: InMemoryStore,
    *,
    settings: Settings | None = None,
    clock: Callable[[], Any] | None = None,
) -> Container:
    """A container whose use cases run over ``store``; the database probe answers ok."""
    container = Container()
    container.settings.override(providers.Object(settings or make_settings()))
    container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, store))
    container.database_check.override(providers.Object(DatabaseCheck(DatabaseStatus.OK)))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return container


@contextmanager
def serve(
    container: Container, *, http_settings: HttpSettings | None = None, **kwargs: Any
) -> Iterator[TestClient]:
    """A test client of a fresh app built on ``container``."""
    app = create_app(container, http_settings=http_settings or make_http_settings())
    with TestClient(app, **kwargs) as client:
        yield client


def bearer(subject: str = "alice", *, secret: str = SECRET, **claims: Any) -> dict[str, str]:
    """An ``Authorization`` header with a fresh HS256 token for ``subject``."""
    return {"Authorization": f"Bearer {mint_hs256_token(secret=secret, subject=subject, **claims)}"}


#: The two route shapes of the same routes, for user "alice".
SHAPES = {"short": "/api/tasks", "long": "/api/alice/tasks"}
