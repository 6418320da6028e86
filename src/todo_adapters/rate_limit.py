"""``RateLimiter`` with the ``limits`` library: ``RATE_LIMIT`` per user, in memory or in Redis.

Fixed windows, not moving ones: a fixed window is one counter per user and
window (in Redis one ``INCRBY``+``EXPIRE`` script, one round trip), where a
moving window keeps a timestamp per request (1,200 entries per busy user at
the default rate, a list scan per request). The price is the classic edge: a
client may spend a window's allowance at its end and the next one's at the
start, up to twice the rate over a short stretch; for a per-user abuse limit
that is acceptable. The counting is ``FixedWindowRateLimiter.hit``'s (the
storage's ``incr``), keeping the count it returns for the ``RateLimit-*``
headers. A window starts at a user's first request in it, and its end is
remembered locally, so a request costs one storage call, not two.

In memory (the default) each worker counts alone. With ``REDIS_URL`` every
worker counts in the same Redis (asyncio client, never blocking the event
loop). Redis unreachable: requests are served uncounted (fail open), the
outage is logged once, and Redis is tried again after ``retry_after_seconds``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Final

from limits import parse
from limits.aio.storage import RedisStorage
from limits.errors import StorageError
from limits.storage import MemoryStorage

from todo_core.ports import RateDecision

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX: Final = "todo-core"
#: Redis calls taking longer than this fail (the request is then served uncounted).
REDIS_TIMEOUT_SECONDS: Final = 0.5
#: After a failure, Redis is left alone this long (no connection attempt per request).
RETRY_AFTER_SECONDS: Final = 5.0
#: Window ends remembered per worker, before the expired ones are dropped.
WINDOWS_KEPT: Final = 10_000


def redis_storage(url: str, *, key_prefix: str, timeout: float) -> RedisStorage:
    """limits' asyncio Redis storage on redis-py, errors wrapped as ``StorageError``."""
    scheme, _, rest = url.partition("://")
    return RedisStorage(
        f"async+{scheme}://{rest}",
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


class UserRateLimiter:
    """Counts each user's requests in fixed windows of ``rate`` (``1200/minute``)."""

    def __init__(
        self,
        rate: str,
        *,
        redis_url: str | None = None,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        redis_timeout_seconds: float = REDIS_TIMEOUT_SECONDS,
        retry_after_seconds: float = RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._item = parse(rate)
        self._expiry = self._item.get_expiry()
        self._memory = MemoryStorage() if redis_url is None else None
        self._redis = (
            redis_storage(redis_url, key_prefix=key_prefix, timeout=redis_timeout_seconds)
            if redis_url is not None
            else None
        )
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._down_until = 0.0
        self._down = False
        self._window_ends: dict[str, float] = {}

    @property
    def limit(self) -> int:
        """Requests allowed per window."""
        return int(self._item.amount)

    async def hit(self, user_id: str) -> RateDecision | None:
        """Count one request; ``None`` when Redis cannot be reached (served uncounted)."""
        key = self._item.key_for(user_id)
        now = self._clock()
        if self._memory is not None:
            count = self._memory.incr(key, self._expiry)
            ends = self._window_end(key, count, now)
            if ends is None:
                ends = self._memory.get_expiry(key)
        else:
            counted = await self._redis_hit(key, now)
            if counted is None:
                return None
            count, ends = counted
        allowed = count <= self.limit
        reset_after = max(0, math.ceil(ends - now))
        return RateDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, self.limit - count),
            reset_after=reset_after if allowed else max(1, reset_after),
        )

    async def _redis_hit(self, key: str, now: float) -> tuple[int, float] | None:
        redis = self._redis
        assert redis is not None
        if now < self._down_until:
            return None
        try:
            count = await redis.incr(key, self._expiry)
            ends = self._window_end(key, count, now)
            if ends is None:
                ends = await redis.get_expiry(key)
                self._window_ends[key] = ends
        except (StorageError, OSError) as error:
            self._down_until = now + self._retry_after
            if not self._down:
                self._down = True
                logger.warning(
                    "rate limit not counted: Redis unreachable (%s); serving requests "
                    "uncounted until it answers again",
                    type(getattr(error, "storage_error", error)).__name__,
                )
            return None
        if self._down:
            self._down = False
            logger.warning("rate limit counted again: Redis answers")
        return count, ends

    def _window_end(self, key: str, count: int, now: float) -> float | None:
        """When this user's window ends, if known without asking the storage."""
        if count == 1:  # this request opened the window
            if len(self._window_ends) >= WINDOWS_KEPT:
                self._window_ends = {k: t for k, t in self._window_ends.items() if t > now}
            opened = now + self._expiry
            self._window_ends[key] = opened
            return opened
        known = self._window_ends.get(key)
        if known is not None and known > now:
            return known
        return None


def rate_limiter_from(
    rate: str, *, redis_url: str | None, key_prefix: str = DEFAULT_KEY_PREFIX
) -> UserRateLimiter | None:
    """The limiter ``RATE_LIMIT`` asks for, or ``None`` for ``off``."""
    if rate.strip().lower() == "off":
        return None
    return UserRateLimiter(rate, redis_url=redis_url, key_prefix=key_prefix)
