"""The MCP endpoint over streamable HTTP, behind the same bearer check as ``/api``.

``BearerGuard`` verifies the ``Authorization`` header with the token
verifier of ``todo_adapters.jwt`` (the HTTP API's own, so the rules and the
401 bodies are the same) before the SDK sees the request, and puts the
token's ``sub`` in the ASGI scope; the SDK hands each tool call the request
it came with, so ``user_from_request`` reads it back there. The session
manager is stateless: nothing lives between requests, any worker answers any
request, and its lifespan (``HttpEndpoint.lifespan``) must run inside the
serving app's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Final, Protocol

import anyio.to_thread
from mcp.server.fastmcp import Context
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_core.errors import InvalidToken, InvalidTokenPayload, NotAuthenticated
from todo_core.ports import RateLimiter
from todo_core.services import TaskService
from todo_mcp.server import build_server
from todo_presentation.limits import TOO_MANY_REQUESTS, rate_limit_headers

#: The ASGI scope key holding the authenticated user id.
USER_KEY: Final = "todo_mcp.user"
AUTHENTICATION_ERRORS: Final = (NotAuthenticated, InvalidToken, InvalidTokenPayload)


class Verifier(Protocol):
    """What the guard needs of ``todo_adapters.jwt.TokenVerifier``."""

    def user_id_from_header(self, authorization: str | None) -> str: ...


def detail_response(status: int, message: str, headers: dict[str, str]) -> Response:
    """``{"detail": ...}``, as the API answers."""
    return Response(
        json.dumps({"detail": message}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def unauthorized(message: str) -> Response:
    """401 with ``WWW-Authenticate: Bearer``, as the API answers it."""
    return detail_response(401, message, {"WWW-Authenticate": "Bearer"})


def post_only() -> Response:
    """405: stateless, the endpoint has no stream for a GET and no session for a DELETE."""
    return detail_response(405, "Method Not Allowed", {"Allow": "POST"})


class BearerGuard:
    """Pure ASGI: no valid bearer token, no MCP; the token's ``sub`` goes in the scope.

    Authentication comes first, as on ``/api``, then the user's request is
    counted with the API's limiter (``RATE_LIMIT``; 429 past it). Then only POST goes on: the
    transport lets a server without a stream for the client answer GET with
    405, and a stateless server has none (a GET would hold a connection open
    for nothing), nor a session for a DELETE to end.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: Verifier,
        may_block: bool,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self._verifier = verifier
        self._may_block = may_block
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization")
        try:
            if self._may_block:  # a JWKS fetch may wait on the network
                user = await anyio.to_thread.run_sync(self._verifier.user_id_from_header, header)
            else:
                user = self._verifier.user_id_from_header(header)
        except AUTHENTICATION_ERRORS as error:
            await unauthorized(error.message)(scope, receive, send)
            return
        if self._limiter is not None:
            decision = await self._limiter.hit(user)
            if decision is not None:
                headers = dict(rate_limit_headers(decision))
                if not decision.allowed:
                    await detail_response(429, TOO_MANY_REQUESTS, headers)(scope, receive, send)
                    return
                send = _with_headers(send, headers)
        if scope["method"] != "POST":
            await post_only()(scope, receive, send)
            return
        await self.app({**scope, USER_KEY: user}, receive, send)


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableHeaders(scope=message)
            for name, value in headers.items():
                response_headers.append(name, value)
        await send(message)

    return sending


def user_from_request(context: Context[Any, Any, Any] | None) -> str:
    """The user the guard authenticated for the request this tool call came with."""
    request = context.request_context.request if context is not None else None
    user = request.scope.get(USER_KEY) if isinstance(request, Request) else None
    if not isinstance(user, str):
        raise NotAuthenticated()
    return user


@dataclass(frozen=True, slots=True)
class HttpEndpoint:
    """The ASGI app to serve at ``path``, and the lifespan to run inside the serving app's."""

    path: str
    app: ASGIApp
    lifespan: Callable[[], AbstractAsyncContextManager[None]]


def streamable_http(
    *,
    service: Callable[[], TaskService],
    verifier: Verifier,
    may_block: bool,
    concurrency: int,
    max_body_bytes: int,
    path: str = "/mcp",
    limiter: RateLimiter | None = None,
) -> HttpEndpoint:
    """The guarded endpoint; the serving app routes exactly ``path`` to it."""
    server = build_server(
        service=service,
        identify=user_from_request,
        concurrency=concurrency,
        http_path=path,
        max_body_bytes=max_body_bytes,
    )
    app = BearerGuard(
        server.streamable_http_app(), verifier=verifier, may_block=may_block, limiter=limiter
    )
    return HttpEndpoint(path=path, app=app, lifespan=server.session_manager.run)
