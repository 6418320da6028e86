"""``create_app``: the one composition root of the HTTP adapter.

Nothing happens at import time. ``create_app()`` builds a container from the
environment (or takes one, as tests do after overriding providers), checks
the configuration by building the token verifier (a bad one fails here,
with a one-line reason), wires the container into this package's
dependencies and assembles the application.

dependency-injector wires modules, not applications: the most recently
created app's container is the one every route uses, so a process serves
one app at a time (uvicorn workers each build their own).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from todo_adapters.container import Container
from todo_core.errors import TodoError
from todo_http import health, routes
from todo_http.cors import add_cors
from todo_http.errors import handle_request_validation_error, handle_todo_error
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
from todo_http.unavailable import UnavailableLog


def _version() -> str:
    try:
        return version("todo-core")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def create_app(container: Container | None = None) -> FastAPI:
    """Build the FastAPI application around ``container`` (a fresh ``Container()`` by default)."""
    container = container if container is not None else Container()
    settings = container.settings()
    container.token_verifier()
    container.wire(warn_unresolved=True, keep_cache=True)
    register_owner_convertor()

    app = FastAPI(title="todo-core", version=_version(), description=DESCRIPTION)
    app.state.container = container
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
    add_cors(app, settings.cors_origins)
    app.add_middleware(RequestLogMiddleware)
    install_openapi(app)
    return app
