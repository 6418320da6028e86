"""405 with a complete ``Allow``.

Starlette answers 405 from the first route whose path matched, so ``Allow``
named only that route's methods (``GET`` for ``/api/tasks/{task_id}``,
which PUT, PATCH and DELETE serve too, from routes of their own). Here the
methods of every route matching the path are listed.
"""

from __future__ import annotations

from typing import Final

from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from todo_http.errors import detail_response

#: The methods a route may take (what ``Allow`` can name).
METHODS: Final = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers fully at the request's path.

    Asked of the routes themselves, one method at a time.
    """
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def handle_http_exception(request: Request, error: Exception) -> Response:
    """FastAPI's answer to Starlette's HTTP errors, a 405 with every method in ``Allow``."""
    assert isinstance(error, HTTPException)
    if error.status_code != 405:
        return await http_exception_handler(request, error)
    response = detail_response(405, "Method Not Allowed")
    response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response
