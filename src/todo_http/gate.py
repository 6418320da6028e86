"""At most as many requests use the database at once as the pool has connections.

Sync handlers run in AnyIO's threadpool (40 threads by default). With more
threads than pooled connections, a burst makes SQLAlchemy open connections
beyond the pool and close each one when it is returned: every request then
pays a new database session (on Neon a TLS handshake and authentication, and
a slot of the compute's connection limit). The gate admits ``slots`` requests
(``DB_POOL_SIZE``) past authentication; the others wait here, in the event
loop, not in a thread and not on a connection, for at most ``timeout``
seconds (``DB_POOL_TIMEOUT_SECONDS``), then get 503 with ``Retry-After``.
The pool therefore never needs to open a connection under load, and the
threadpool is sized from the same setting (``size_threadpool``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import anyio
import anyio.to_thread

from todo_core.errors import StorageUnavailable

logger = logging.getLogger("todo_http")

#: Threads beyond the gate's slots, for sync work outside it (the readiness probe, JWKS).
SPARE_THREADS: Final = 4


class DatabaseGate:
    """A counting gate in front of the use cases, one per worker process."""

    def __init__(self, *, slots: int, timeout: float) -> None:
        self.slots = slots
        self._timeout = timeout
        self._semaphore: anyio.Semaphore | None = None

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Hold one slot for the block; ``StorageUnavailable`` if none frees up in time."""
        semaphore = self._semaphore
        if semaphore is None:  # made in the event loop that serves the requests
            semaphore = self._semaphore = anyio.Semaphore(self.slots)
        try:
            with anyio.fail_after(self._timeout):
                await semaphore.acquire()
        except TimeoutError:
            logger.warning(
                "503: no database connection was free for %.1f s (%d in use)",
                self._timeout,
                self.slots,
            )
            raise StorageUnavailable() from None
        try:
            yield
        finally:
            semaphore.release()


def size_threadpool(gate: DatabaseGate) -> None:
    """Give AnyIO's default threadpool the gate's slots plus a few spare threads.

    Called in the serving event loop (the limiter belongs to it).
    """
    anyio.to_thread.current_default_thread_limiter().total_tokens = gate.slots + SPARE_THREADS
