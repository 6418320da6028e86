"""The HTTP app over the real container and PostgreSQL (``postgres_url``: parent conftest)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from tests.unit.http.support import SECRET, make_settings
from todo_adapters.jwt import mint_hs256_token
from todo_bootstrap.container import Container
from todo_http.app import create_app


def postgres_container(database_url: str, **settings: Any) -> Container:
    """The production container; only the settings are given instead of read."""
    container = Container()
    container.settings.override(
        providers.Object(make_settings(database_url=database_url, **settings))
    )
    return container


@asynccontextmanager
async def http_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An async client calling the app in process (requests really run concurrently)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def user() -> str:
    """A user id of its own for each test (the database is shared by the session)."""
    return f"user-{uuid.uuid4()}"


@pytest.fixture
def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_hs256_token(secret=SECRET, subject=user)}"}


@pytest.fixture
def postgres_app(postgres_url: str) -> Iterator[FastAPI]:
    container = postgres_container(postgres_url)
    yield create_app(container)
    container.engine().dispose()
