"""What the per-user rate limit (``RATE_LIMIT``) costs a request, in microseconds.

    .venv/bin/python -m bench.rate_limit_cost [REDIS_URL]

Measures ``UserRateLimiter.hit`` the way ``todo_http.guard`` calls it (awaited
in the event loop, once per authenticated request), in memory and, when a
Redis answers at ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``), in
Redis; then whole requests through the app in process (``GET /api/tasks/stats``
over the in-memory adapter, no network) with the limit off and on, so the
difference is what one request pays. Sequential, one user and many users; keys
use a prefix of their own and are deleted afterwards. Figures are medians of
a few rounds (the machine is shared).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Final

import httpx
import redis
from dependency_injector import providers

from todo_adapters.jwt import mint_hs256_token
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_adapters.rate_limit import UserRateLimiter
from todo_adapters.settings import load_settings
from todo_bootstrap.container import Container
from todo_http.app import create_app

DEFAULT_REDIS_URL: Final = "redis://127.0.0.1:6379/0"
RATE: Final = "1000000000/minute"  # never refuses: every call pays the full path
CALLS: Final = 10_000
REQUESTS: Final = 1_000
ROUNDS: Final = 5
SECRET: Final = "a-benchmark-secret-that-is-long-enough-0123456789"  # noqa: S105 - a test secret


async def _per_call_us(hit: Callable[[str], Awaitable[object]], users: list[str]) -> float:
    calls = CALLS
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for index in range(calls):
            await hit(users[index % len(users)])
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


async def _limiter_costs(redis_url: str | None, prefix: str) -> dict[str, float]:
    one, many = ["alice"], [f"user-{n}" for n in range(1000)]
    memory = UserRateLimiter(RATE)
    costs = {
        "memory, one user": await _per_call_us(memory.hit, one),
        "memory, 1000 users": await _per_call_us(memory.hit, many),
    }
    if redis_url is not None:
        shared = UserRateLimiter(RATE, redis_url=redis_url, key_prefix=prefix)
        costs["redis, one user"] = await _per_call_us(shared.hit, one)
        costs["redis, 1000 users"] = await _per_call_us(shared.hit, many)
    return costs


def _container(rate: str, redis_url: str | None, prefix: str) -> Container:
    container = Container()
    settings = load_settings(_env_file=None, jwt_secret=SECRET, rate_limit=rate)
    container.settings.override(providers.Object(settings))
    container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, InMemoryStore()))
    if rate != "off":
        limiter = UserRateLimiter(rate, redis_url=redis_url, key_prefix=prefix)
        container.rate_limiter.override(providers.Object(limiter))
    return container


async def _requests_us(containers: dict[str, Container]) -> dict[str, float]:
    """Median µs per request of each app, their rounds interleaved (the machine drifts)."""
    headers = {"Authorization": f"Bearer {mint_hs256_token(secret=SECRET, subject='alice')}"}
    rounds: dict[str, list[float]] = {name: [] for name in containers}
    async with AsyncExitStack() as stack:
        clients = {}
        for name, container in containers.items():
            app = create_app(container)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://bench")
            clients[name] = await stack.enter_async_context(client)
        for client in clients.values():
            for _ in range(200):  # warm up
                await client.get("/api/tasks/stats", headers=headers)
        for _ in range(ROUNDS):
            for name, client in clients.items():
                started = time.perf_counter()
                for _ in range(REQUESTS):
                    response = await client.get("/api/tasks/stats", headers=headers)
                    assert response.status_code == 200, response.text
                rounds[name].append((time.perf_counter() - started) / REQUESTS * 1e6)
    return {name: statistics.median(values) for name, values in rounds.items()}


def _redis_answers(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def _cleanup(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


async def main(redis_url: str) -> str:
    prefix = f"todo-core-bench-{uuid.uuid4().hex}"
    shared = redis_url if _redis_answers(redis_url) else None
    try:
        hits = await _limiter_costs(shared, prefix)
        containers = {
            "off": _container("off", None, prefix),
            "memory": _container(RATE, None, prefix),
        }
        if shared is not None:
            containers["redis"] = _container(RATE, shared, prefix)
        requests = await _requests_us(containers)
    finally:
        if shared is not None:
            _cleanup(shared, prefix)
    lines = ["## What the rate limit costs per request", ""]
    lines += ["| limiter.hit | µs/call |", "|---|---|"]
    lines += [f"| {name} | {cost:.1f} |" for name, cost in hits.items()]
    lines += ["", "| GET /api/tasks/stats in process | µs/req | added |", "|---|---|---|"]
    lines += [
        f"| RATE_LIMIT {name} | {cost:.0f} | {cost - requests['off']:+.0f} |"
        for name, cost in requests.items()
    ]
    if shared is None:
        lines += ["", f"(no Redis answered at {redis_url}: the Redis figures are missing)"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_REDIS_URL)))
