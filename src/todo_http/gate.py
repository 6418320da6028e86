"""At most as many requests use the database at once as the pool has connections.

Handlers are synchronous (the SQL adapter is). Run on AnyIO's threadpool (40
threads by default), a burst would make SQLAlchemy open connections beyond
the pool and close each one when it is returned: every request would then
pay a new database session (on Neon a TLS handshake and authentication, and
a slot of the compute's connection limit). The gate admits ``slots``
requests (``DB_POOL_SIZE``) at once; the others wait here, in the event loop,
not in a thread and not on a connection, for at most ``timeout`` seconds
(``DB_POOL_TIMEOUT_SECONDS``), then get 503 with ``Retry-After``. The pool
therefore never needs to open a connection under load.

An admitted call runs on the gate's own executor, one thread per slot. It is
``concurrent.futures``' pool rather than AnyIO's: AnyIO hands each call over
through a ``queue.Queue`` (a Python ``Condition``), a capacity limiter and a
cancel scope, which was about a fifth of the service's CPU on a ``GET`` in
``make bench``; the executor's C ``SimpleQueue`` and an uncontended
``asyncio.Semaphore`` cost a fraction of that. A slot is freed when its
thread is done, not when the request is cancelled (a client that hangs up
does not free a connection still in use).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, ParamSpec, TypeVar

import anyio.to_thread

from todo_core.errors import StorageUnavailable

logger = logging.getLogger("todo_http")

#: AnyIO threads beyond the gate's slots, for sync work outside it (the readiness probe, JWKS).
SPARE_THREADS: Final = 4

P = ParamSpec("P")
R = TypeVar("R")


class DatabaseGate:
    """A counting gate and its threads in front of the use cases, one per worker process."""

    def __init__(self, *, slots: int, timeout: float) -> None:
        self.slots = slots
        self._timeout = timeout
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``call(*args, **kwargs)`` on a gate thread once a slot is free.

        ``StorageUnavailable`` if none frees up within the timeout.
        """
        loop = asyncio.get_running_loop()
        semaphore = self._semaphore
        if semaphore is None or self._loop is not loop:  # one per serving event loop
            semaphore = self._semaphore = asyncio.Semaphore(self.slots)
            self._loop = loop
        if semaphore.locked():
            await self._wait_for(semaphore)
        else:
            await semaphore.acquire()  # free: returns without suspending
        executor = self._executor
        if executor is None:
            executor = self._executor = ThreadPoolExecutor(self.slots, thread_name_prefix="todo-db")
        try:
            # The request's context goes along, as asyncio.to_thread and AnyIO do (tracing spans).
            in_context = functools.partial(contextvars.copy_context().run, call, *args, **kwargs)
            work = loop.run_in_executor(executor, in_context)
        except BaseException:
            semaphore.release()
            raise
        work.add_done_callback(lambda _: semaphore.release())
        result: R = await asyncio.shield(work)
        return result

    async def _wait_for(self, semaphore: asyncio.Semaphore) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await semaphore.acquire()
        except TimeoutError:
            logger.warning(
                "503: no database connection was free for %.1f s (%d in use)",
                self._timeout,
                self.slots,
            )
            raise StorageUnavailable() from None

    def close(self) -> None:
        """Let the running calls finish, then stop the threads (the app's shutdown).

        The next call, should the app serve again, starts new ones.
        """
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


def through_gate(handler: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """A sync route handler run whole through the caller's gate (see the module docstring).

    The handler takes the authenticated caller as its ``caller`` parameter,
    which brings the gate; FastAPI reads the handler's own signature
    (``functools.wraps``) and awaits the wrapper.
    """

    @functools.wraps(handler)
    async def gated(*args: P.args, **kwargs: P.kwargs) -> R:
        gate: DatabaseGate = kwargs["caller"].gate  # type: ignore[attr-defined]
        return await gate.run(handler, *args, **kwargs)

    return gated


def size_threadpool(gate: DatabaseGate) -> None:
    """Give AnyIO's default threadpool the gate's slots plus a few spare threads.

    What runs there (the MCP tools, the readiness probe, JWKS fetches) stays
    within as many database connections as the pool holds. Called in the
    serving event loop (the limiter belongs to it).
    """
    anyio.to_thread.current_default_thread_limiter().total_tokens = gate.slots + SPARE_THREADS
