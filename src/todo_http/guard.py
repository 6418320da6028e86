"""Authentication before routing: every request under ``/api`` proves who it is first.

``ApiGuard`` is pure ASGI and sits outside the router, so no route (added
now or later) can forget it, and a path or method that matches nothing is a
401 without a valid token (and 404/405 with one): the URL space of ``/api``
tells nothing to an anonymous caller. The verified ``sub`` goes in the scope
(``VERIFIED_USER``) and the route's dependency takes it from there instead of
verifying again.

Then the user's request is counted (``RATE_LIMIT``): past the limit it is a
429 with ``Retry-After`` and the ``RateLimit-*`` fields, before any database
work; a refused token costs nothing and is not counted. Every response under
``/api`` (and of the endpoints named in ``also``, such as ``/mcp``) carries
``Cache-Control: private, no-cache`` and ``X-Content-Type-Options: nosniff``.

CORS preflights never reach it: the CORS middleware, outside, answers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_core.errors import InvalidToken, InvalidTokenPayload, NotAuthenticated
from todo_core.ports import RateLimiter
from todo_http.auth import VERIFIED_USER, Verifier, verify_token
from todo_http.errors import detail_response
from todo_presentation.limits import CACHE_HEADERS, TOO_MANY_REQUESTS, rate_limit_headers

API_PREFIX: Final = "/api"
AUTHENTICATION_ERRORS: Final = (NotAuthenticated, InvalidToken, InvalidTokenPayload)


def _with_headers(send: Send, headers: Iterable[tuple[str, str]]) -> Send:
    extra = tuple(headers)

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_headers = MutableHeaders(scope=message)
            for name, value in extra:
                response_headers.append(name, value)
        await send(message)

    return sending


class ApiGuard:
    """Authenticate (401), count (429) and mark (cache headers) every ``/api`` request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: Verifier,
        may_block: bool,
        limiter: RateLimiter | None,
        also: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._verifier = verifier
        self._may_block = may_block
        self._limiter = limiter
        self._also = frozenset(also)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in self._also:
            await self.app(scope, receive, _with_headers(send, CACHE_HEADERS))
            return
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        send = _with_headers(send, CACHE_HEADERS)
        header = Headers(scope=scope).get("authorization")
        try:
            user = await verify_token(self._verifier, header, may_block=self._may_block)
        except AUTHENTICATION_ERRORS as error:
            await detail_response(401, error.message)(scope, receive, send)
            return
        scope[VERIFIED_USER] = user
        if self._limiter is not None:
            decision = await self._limiter.hit(user)
            if decision is not None:
                headers = rate_limit_headers(decision)
                if not decision.allowed:
                    refusal = detail_response(429, TOO_MANY_REQUESTS)
                    refusal.headers.update(dict(headers))
                    await refusal(scope, receive, send)
                    return
                send = _with_headers(send, headers)
        await self.app(scope, receive, send)
