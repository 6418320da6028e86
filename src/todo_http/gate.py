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

An admitted call runs on one of the gate's own threads, one per slot: they
take calls from a C ``queue.SimpleQueue`` and settle the caller's asyncio
future with ``call_soon_threadsafe``, and an uncontended ``asyncio.Semaphore``
admits without suspending. That is the least a hand-off to a thread can be,
measured on a ``GET`` in ``make bench``: AnyIO's (a ``queue.Queue``, a
capacity limiter and a cancel scope) was about a fifth of the service's CPU,
and ``loop.run_in_executor`` on a ``ThreadPoolExecutor`` still about 8% (a
``concurrent.futures.Future`` with its ``Condition``, chained to an asyncio
one, and a Python ``threading.Semaphore`` released after every call). A
slot is freed when its thread is done, not when the request is cancelled (a
client that hangs up does not free a connection still in use). The threads
run on the core their event loop is on, and follow it (``core_follower``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Final, ParamSpec, TypeVar

import anyio.to_thread

from todo_core.errors import StorageUnavailable
from todo_http.core_follower import CoreFollower

logger = logging.getLogger("todo_http")

#: AnyIO threads beyond the gate's slots, for sync work outside it (the readiness probe, JWKS).
SPARE_THREADS: Final = 4

P = ParamSpec("P")
R = TypeVar("R")

#: Settles a request's future on its loop: the call's exception, or ``None`` and its result.
_Answer = Callable[[BaseException | None, Any], None]
#: A call for a gate thread: the loop to answer on, how, and what to run.
_Call = tuple[asyncio.AbstractEventLoop, _Answer, Callable[[], Any]]


class _GateThreads:
    """``count`` threads running calls in turn and answering each on its event loop."""

    def __init__(self, count: int, follower: CoreFollower) -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._follower = follower
        self._threads = [
            threading.Thread(target=self._serve, name=f"todo-db-{index}", daemon=True)
            for index in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, call: _Call) -> None:
        self._calls.put(call)

    def _serve(self) -> None:
        self._follower.register_current_thread()
        try:
            self._serve_calls()
        finally:
            self._follower.forget_current_thread()

    def _serve_calls(self) -> None:
        take = self._calls.get
        while (call := take()) is not None:
            loop, answer, work = call
            error: BaseException | None = None
            result: Any = None
            try:
                result = work()
            except BaseException as raised:  # handed to the awaiting request, as an executor does
                error = raised
            try:  # noqa: SIM105 (no context manager on the hot path)
                loop.call_soon_threadsafe(answer, error, result)
            except RuntimeError:  # a closed loop: nobody waits any more
                pass
            del call, answer, work, result, error

    def stop(self) -> None:
        """Let the queued calls finish, then end every thread."""
        for _ in self._threads:
            self._calls.put(None)
        for thread in self._threads:
            thread.join()


class DatabaseGate:
    """A counting gate and its threads in front of the use cases, one per worker process."""

    def __init__(self, *, slots: int, timeout: float) -> None:
        self.slots = slots
        self._timeout = timeout
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: _GateThreads | None = None
        self._starting = threading.Lock()
        self._follower = CoreFollower()

    async def run(self, call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``call(*args, **kwargs)`` on a gate thread once a slot is free.

        ``StorageUnavailable`` if none frees up within the timeout.
        """
        loop = asyncio.get_running_loop()
        semaphore = self._semaphore
        if semaphore is None or self._loop is not loop:  # one per serving event loop
            semaphore = self._semaphore = asyncio.Semaphore(self.slots)
            self._loop = loop
            self._follower.start(loop)
        if semaphore.locked():
            await self._wait_for(semaphore)
        else:
            await semaphore.acquire()  # free: returns without suspending
        future: asyncio.Future[R] = loop.create_future()

        def answer(error: BaseException | None, result: R) -> None:
            semaphore.release()
            if future.cancelled():  # the request is gone; its slot was held until now
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        try:
            # The request's context goes along, as asyncio.to_thread and AnyIO do (tracing spans).
            work = functools.partial(contextvars.copy_context().run, call, *args, **kwargs)
            self._started().submit((loop, answer, work))
        except BaseException:
            semaphore.release()
            raise
        return await future

    def _started(self) -> _GateThreads:
        threads = self._threads
        if threads is None:
            with self._starting:
                threads = self._threads
                if threads is None:
                    threads = self._threads = _GateThreads(self.slots, self._follower)
        return threads

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
        self._follower.stop()
        self._loop = None  # the next call, on whatever loop, starts following again
        with self._starting:
            threads, self._threads = self._threads, None
        if threads is not None:
            threads.stop()


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
