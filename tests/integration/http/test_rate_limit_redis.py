"""RATE_LIMIT shared through Redis (REDIS_URL): two apps count together; Redis down fails open.

Needs the Redis on 127.0.0.1:6379 (or ``TEST_REDIS_URL``); every test uses a key
prefix of its own and deletes its keys afterwards. Without Redis they skip with
the reason (under ``CI=true`` they fail).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from dependency_injector import providers

from tests.support.node import skip_or_fail
from tests.support.tcp_proxy import TcpProxy
from tests.unit.http.support import bearer, make_settings, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_adapters.rate_limit import UserRateLimiter
from todo_bootstrap.container import Container

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ALICE = bearer("alice")


@pytest.fixture
def key_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"no Redis at {REDIS_URL}: {type(error).__name__}")
    prefix = f"todo-core-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _container(rate: str, redis_url: str, key_prefix: str) -> Container:
    container = memory_container(
        InMemoryStore(), settings=make_settings(rate_limit=rate, redis_url=redis_url)
    )
    limiter = UserRateLimiter(rate, redis_url=redis_url, key_prefix=key_prefix)
    container.rate_limiter.override(providers.Object(limiter))
    return container


def test_two_apps_on_one_redis_share_each_users_limit(key_prefix: str) -> None:
    first = _container("4/minute", REDIS_URL, key_prefix)
    second = _container("4/minute", REDIS_URL, key_prefix)

    with serve(first) as one, serve(second) as two:
        answers = [
            one.get("/api/tasks", headers=ALICE),
            two.get("/api/tasks", headers=ALICE),
            one.get("/api/tasks", headers=ALICE),
            two.get("/api/tasks", headers=ALICE),
        ]
        refused = one.get("/api/tasks", headers=ALICE)
        refused_too = two.post("/api/tasks", json={"title": "t"}, headers=ALICE)
        bob = two.get("/api/tasks", headers=bearer("bob"))

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["3", "2", "1", "0"]
    for response in (refused, refused_too):
        assert response.status_code == 429
        assert response.json() == {"detail": "Too many requests"}
        assert response.headers["RateLimit-Limit"] == "4"
        assert response.headers["RateLimit-Remaining"] == "0"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["Retry-After"] == response.headers["RateLimit-Reset"]
    assert bob.status_code == 200


def test_an_unreachable_redis_fails_open_and_is_logged_once(
    key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="todo_adapters.rate_limit")
    with TcpProxy("127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0])) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        container = _container("2/minute", url, key_prefix)
        with serve(container) as client:
            counted = [client.get("/api/tasks", headers=ALICE) for _ in range(2)]
            proxy.cut()
            uncounted = [client.get("/api/tasks", headers=ALICE) for _ in range(5)]

    assert [r.headers["RateLimit-Remaining"] for r in counted] == ["1", "0"]
    assert [r.status_code for r in uncounted] == [200] * 5
    assert all("RateLimit-Limit" not in r.headers for r in uncounted)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Redis unreachable" in warnings[0]


def test_a_redis_url_nothing_listens_on_serves_every_request(key_prefix: str) -> None:
    with socket_closed_port() as port:
        container = _container("1/minute", f"redis://127.0.0.1:{port}/0", key_prefix)
        with serve(container) as client:
            answers = [client.get("/api/tasks", headers=ALICE) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]


@contextmanager
def socket_closed_port() -> Iterator[int]:
    """A local port nothing listens on (bound, never listening, then released)."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield int(bound.getsockname()[1])
