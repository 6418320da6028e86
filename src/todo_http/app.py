"""``create_app``: the HTTP adapter assembled around a container it is given.

Nothing happens at import time. The composition root (``todo_bootstrap``)
builds the container; ``create_app`` checks the configuration by building
the token verifier (a bad one fails here, with a one-line reason), wires the
container into this package's dependencies (by provider name: this package
never imports the container) and assembles the application.

dependency-injector wires modules, not applications: the most recently
created app's container is the one every route uses, so a process serves
one app at a time (uvicorn workers each build their own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from todo_core.errors import TodoError
from todo_http import health, routes
from todo_http.cors import add_cors
from todo_http.errors import handle_request_validation_error, handle_todo_error
from todo_http.gate import DatabaseGate, size_threadpool
from todo_http.middleware import InternalErrorMiddleware
from todo_http.openapi import DESCRIPTION, install_openapi
from todo_http.paths import (
    LONG_PREFIX,
    SHORT_PREFIX,
    long_operation_id,
    register_owner_convertor,
    short_operation_id,
)
from todo_http.request_log import RequestLogMiddleware
from todo_http.settings import HttpSettings, load_http_settings
from todo_http.unavailable import UnavailableLog

#: The modules whose dependencies name container providers.
WIRED_MODULES: Final = ("todo_http.deps", "todo_http.health")


def _version() -> str:
    try:
        return version("todo-core")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def create_app(container: Any, *, http_settings: HttpSettings | None = None) -> FastAPI:
    """Build the FastAPI application around ``container`` (``todo_bootstrap.container``).

    ``http_settings`` are read from the environment unless given.
    """
    http = http_settings if http_settings is not None else load_http_settings()
    settings = container.settings()
    container.token_verifier()
    container.wire(modules=list(WIRED_MODULES), warn_unresolved=True, keep_cache=True)
    register_owner_convertor()

    gate = DatabaseGate(slots=settings.db_pool_size, timeout=settings.db_pool_timeout_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        size_threadpool(gate)
        yield

    app = FastAPI(title="todo-core", version=_version(), description=DESCRIPTION, lifespan=lifespan)
    app.state.container = container
    app.state.database_gate = gate
    app.state.max_body_bytes = http.max_body_bytes
    app.state.unavailable_log = UnavailableLog()
    app.include_router(
        routes.router,
        prefix=SHORT_PREFIX,
        tags=["tasks"],
        generate_unique_id_function=short_operation_id,
    )
    app.include_router(
        routes.router,
        prefix=LONG_PREFIX,
        tags=["tasks by user id"],
        generate_unique_id_function=long_operation_id,
    )
    app.include_router(health.router)
    app.add_exception_handler(TodoError, handle_todo_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation_error)
    app.add_middleware(InternalErrorMiddleware)
    add_cors(app, http.cors_origins)
    app.add_middleware(RequestLogMiddleware)
    install_openapi(app)
    return app
