"""``create_app``: the HTTP adapter assembled around a container it is given.

Nothing happens at import time. The composition root (``todo_bootstrap``)
builds the container; ``create_app`` checks the configuration by building
the token verifier (a bad one fails here, with a one-line reason), wires the
container into this package's dependencies (by provider name: this package
never imports the container) and assembles the application.

dependency-injector wires modules, not applications: the most recently
created app's container is the one every route uses, so a process serves
one app at a time (uvicorn workers each build their own).

Other ASGI apps may answer beside the API (``endpoints``: the composition
root serves the MCP tools at ``/mcp`` so); this package knows them only as
a path, an ASGI app and a lifespan that runs inside the app's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, Protocol

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Scope

from todo_core.errors import TodoError
from todo_http import health, routes
from todo_http.changes import Waiting
from todo_http.cors import add_cors
from todo_http.deps import resolve_wiring
from todo_http.errors import handle_request_validation_error, handle_todo_error
from todo_http.flat_routes import add_routes
from todo_http.gate import DatabaseGate, size_threadpool
from todo_http.guard import ApiGuard
from todo_http.methods import handle_http_exception
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


class Endpoint(Protocol):
    """An ASGI app answering exactly ``path`` beside the API, with its own lifespan."""

    @property
    def path(self) -> str: ...

    @property
    def app(self) -> ASGIApp: ...

    @property
    def lifespan(self) -> Callable[[], AbstractAsyncContextManager[None]]: ...


class EndpointRoute(Route):
    """A plain route to an ASGI app that names itself in the scope, as FastAPI's routes do.

    The request log reads the route's path from there (``/mcp``, not ``<unmatched>``).
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _version() -> str:
    try:
        return version("todo-core")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def create_app(
    container: Any,
    *,
    http_settings: HttpSettings | None = None,
    endpoints: Sequence[Endpoint] = (),
) -> FastAPI:
    """Build the FastAPI application around ``container`` (``todo_bootstrap.container``).

    ``http_settings`` are read from the environment unless given. Each of
    ``endpoints`` answers its path (every method; the middlewares apply),
    and its lifespan runs inside the app's.
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
        async with AsyncExitStack() as stack:
            stack.callback(gate.close)
            for endpoint in endpoints:
                await stack.enter_async_context(endpoint.lifespan())
            yield

    app = FastAPI(title="todo-core", version=_version(), description=DESCRIPTION, lifespan=lifespan)
    app.state.container = container
    app.state.caller_wiring = resolve_wiring(gate)
    app.state.change_waiting = Waiting()
    app.state.max_body_bytes = http.max_body_bytes
    app.state.unavailable_log = UnavailableLog()
    add_routes(
        app.router,
        routes.router,
        prefix=SHORT_PREFIX,
        tags=["tasks"],
        generate_unique_id_function=short_operation_id,
    )
    add_routes(
        app.router,
        routes.router,
        prefix=LONG_PREFIX,
        tags=["tasks by user id"],
        generate_unique_id_function=long_operation_id,
    )
    app.include_router(health.router)
    for endpoint in endpoints:
        app.router.routes.append(
            EndpointRoute(endpoint.path, endpoint.app, include_in_schema=False)
        )
    app.add_exception_handler(TodoError, handle_todo_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    # Innermost of the middlewares: inside the CORS one (which answers preflights and
    # gives a browser its 401s and 429s) and inside the last line of defence.
    app.add_middleware(
        ApiGuard,
        verifier=container.token_verifier(),
        may_block=container.token_verification_may_block(),
        limiter=container.rate_limiter(),
        also=[endpoint.path for endpoint in endpoints],
    )
    app.add_middleware(InternalErrorMiddleware)
    add_cors(app, http.cors_origins)
    app.add_middleware(RequestLogMiddleware)
    install_openapi(app)
    return app
