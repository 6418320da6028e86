"""CORS exactly as API.md section 6: listed origins only, credentials allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from todo_presentation.limits import RATE_LIMIT_HEADERS

ALLOWED_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
)
EXPOSED_HEADERS: Final = (
    "ETag",
    "Location",
    "Link",
    "X-Total-Count",
    "Idempotent-Replayed",
    "Retry-After",
    *RATE_LIMIT_HEADERS,
)


def add_cors(app: FastAPI, origins: Iterable[str]) -> None:
    """Allow ``origins`` (never ``*``) to call the API from a browser."""
    allowed = [origin for origin in origins if origin != "*"]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed,
        allow_credentials=True,
        allow_methods=list(ALLOWED_METHODS),
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
    )
