"""The last line of defence: any unhandled exception becomes the generic 500.

It sits inside the CORS middleware (so a browser can read the 500) and logs
the exception with the method and path only: no headers, so no token.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_http.errors import internal_error

logger = logging.getLogger("todo_http")


class InternalErrorMiddleware:
    """Pure ASGI: answers 500 ``{"detail": "Internal server error"}`` if nothing was sent yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await internal_error()(scope, receive, send)
