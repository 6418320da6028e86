"""Serve the API with uvicorn after checking the configuration (``todo serve``).

The configuration is checked first (settings, token verifier, and the
database, waited for a while as a suspended Neon compute needs) so that a
server that cannot start says why on one line per problem. uvicorn gets the
app *factory* (``serving_app``), so every worker process builds its own app,
container and connection pool.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
from collections.abc import Iterator
from typing import Any, Final

import uvicorn
from fastapi import FastAPI

from todo_adapters.settings import Settings, SettingsError
from todo_adapters.startup import ConfigurationError, preflight
from todo_bootstrap.app import build_app
from todo_bootstrap.container import Container
from todo_bootstrap.logs import MCP_SDK_LOGGER, quiet_sdk_level
from todo_bootstrap.workers import run_workers, spreads_connections
from todo_http.logs import logging_config
from todo_http.settings import load_http_settings

APP_FACTORY: Final = "todo_bootstrap.serve:serving_app"

#: Net new container objects between young collections (CPython's default: 700).
YOUNG_COLLECTION_THRESHOLD: Final = 10_000


def worker_pool_size(settings: Settings, workers: int) -> int:
    """``DB_POOL_SIZE`` as set; unset, the default's connections split over the workers.

    A worker's Python runs one thread at a time (the GIL), and with several
    workers on as many cores every gate thread whose statement has returned
    waits for it behind the others: fewer slots per worker, shorter waits.
    One worker keeps the default (PostgreSQL's work on the other cores keeps
    its slots busy). The 2-worker mix of the bench's servers and loads, p99
    against the floor's: about 3.4x with 10 connections per worker, 2.3x
    with 5, for about 5% of the throughput (README, "Several workers and
    the pool").
    """
    if workers <= 1 or "db_pool_size" in settings.model_fields_set:
        return settings.db_pool_size
    return math.ceil(settings.db_pool_size / workers)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def check_configuration(container: Container | None = None) -> Settings:
    """Settings, token verifier and database, or ``ConfigurationError`` saying what is wrong."""
    container = container if container is not None else Container()
    try:
        load_http_settings()
    except SettingsError as error:
        raise ConfigurationError("\n".join(error.problems)) from None
    settings = preflight(container, report=_say)
    container.engine().dispose()  # the app builds its own container, pool included
    return settings


def serving_app() -> FastAPI:
    """The app as a server process runs it (the API and ``/mcp``): built, then its heap frozen.

    What start-up builds (modules, routes, schemas, table metadata, the pool)
    lives as long as the process, yet every full collection would walk it
    again: 50-70 ms pauses under load, which were the app's p99 in
    ``make bench``. ``gc.freeze`` moves it out of the collector's sight.

    Then the young generation is collected every 10,000 net allocations
    instead of 700: each collection walks the objects of the requests in
    flight, so at 700 the collector ran every dozen requests. Measured with
    ``gc.callbacks`` over 10,000 PATCHes at 16 connections: 213 ms of
    collections, 18 ms after (about 20 us per request); what the young
    generation holds meanwhile is a few MB at most.
    """
    app = build_app(Container())
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    return app


def serve(*, host: str, port: int, workers: int = 1, reload: bool = False) -> None:
    """Check the configuration, then serve until interrupted (one request log line each).

    Several workers each accept on a socket of their own where the system
    spreads connections over them (``todo_bootstrap.workers``).
    """
    settings = check_configuration()
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": None if reload else workers,
        "reload": reload,
        "access_log": False,  # todo_http.request_log writes the one line per request
        "proxy_headers": True,
        "log_config": served_logging(settings),
    }
    pool_size = worker_pool_size(settings, 1 if reload else workers)
    with _environment(DB_POOL_SIZE=str(pool_size)):  # what the workers' settings read
        if workers > 1 and not reload and spreads_connections():
            run_workers(APP_FACTORY, **options)
            return
        uvicorn.run(APP_FACTORY, **options)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """``values`` in ``os.environ`` (which worker processes start with), restored after."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def served_logging(settings: Settings) -> dict[str, Any]:
    """The HTTP adapter's logging, the MCP SDK's loggers quiet unless debugging.

    The SDK logs every request it handles at INFO; ``todo_http.request_log``
    already writes one line per request, ``/mcp`` included.
    """
    config = logging_config(level=settings.log_level, log_format=settings.log_format)
    config["loggers"][MCP_SDK_LOGGER] = {"level": quiet_sdk_level(settings.log_level)}
    return config
