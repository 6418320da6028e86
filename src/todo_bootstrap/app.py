"""The served application: the HTTP API, with the MCP tools at ``/mcp`` beside it.

Both driving adapters get their services from the same container and check
bearer tokens with the same verifier; ``todo_http`` never imports
``todo_mcp``: it serves the endpoint it is handed (``create_app(endpoints=...)``).
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI

from todo_bootstrap.container import Container
from todo_http.app import create_app
from todo_http.settings import HttpSettings, load_http_settings
from todo_mcp.http import HttpEndpoint, streamable_http

MCP_PATH: Final = "/mcp"


def mcp_endpoint(container: Container, http: HttpSettings) -> HttpEndpoint:
    """The MCP tools over streamable HTTP, on the container's use cases and token verifier."""
    return streamable_http(
        service=container.task_service,
        verifier=container.token_verifier(),
        may_block=container.token_verification_may_block(),
        concurrency=container.settings().db_pool_size,
        max_body_bytes=http.max_body_bytes,
        path=MCP_PATH,
        limiter=container.rate_limiter(),
    )


def build_app(container: Container, *, http_settings: HttpSettings | None = None) -> FastAPI:
    """The app a server process serves (``todo serve``) and the end-to-end tests drive."""
    http = http_settings if http_settings is not None else load_http_settings()
    return create_app(container, http_settings=http, endpoints=[mcp_endpoint(container, http)])
