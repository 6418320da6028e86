"""Keep the gate's threads on the core their event loop runs on (Linux).

A worker's event loop and the gate's threads share one GIL, and every
request crosses from the loop to a gate thread and back. When the kernel
runs them on different cores, each crossing wakes a thread on the other
core and hands the GIL over between cores. With two workers on two cores
that was a third of the service's CPU per request: the 2-worker mix of
``make bench`` ran at 0.41 of the floor as served, at 0.57 with each
worker confined to a core (``BENCH_PIN_WORKERS=1``), but a confined worker
cannot move off a busy core, and its p99 doubled.

So nothing is pinned for good: every 10 ms the loop reads the core it runs
on (``sched_getcpu``) and, when it moved, confines the gate's threads to
that core. The kernel still places the loop, and so the worker, where there
is room, and the threads follow within one period. They lose no parallelism
that counts: only one of them holds the GIL at a time, and waiting for
PostgreSQL needs no core. The mix then ran at 0.60 of the floor, the p99
as it was. Elsewhere (no ``sched_setaffinity``), it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import threading
from collections.abc import Callable
from typing import Final

#: How often the loop checks which core it is on.
FOLLOW_PERIOD_SECONDS: Final = 0.01


def _current_core_reader() -> Callable[[], int] | None:
    """``sched_getcpu`` of the C library, or ``None`` where threads cannot be confined."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        current_core: Callable[[], int] = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None
    return current_core


class CoreFollower:
    """Threads that register here are kept on the core of the loop that ``start`` was given."""

    def __init__(self, period: float = FOLLOW_PERIOD_SECONDS) -> None:
        self._period = period
        self._current_core = _current_core_reader()
        self._threads: list[int] = []
        self._lock = threading.Lock()
        self._core = -1
        self._timer: asyncio.TimerHandle | None = None

    def register_current_thread(self) -> None:
        """Called by each gate thread as it starts; it follows from the next check on."""
        with self._lock:
            self._threads.append(threading.get_native_id())
            self._core = -1  # confine the newcomer at the next check

    def forget_current_thread(self) -> None:
        """Called by a gate thread as it ends (its id may then be given to another thread)."""
        with self._lock:
            self._threads.remove(threading.get_native_id())

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Check on ``loop`` every period until ``stop`` (restarting on another loop)."""
        self.stop()
        if self._current_core is not None:
            self._timer = loop.call_later(0, self._check, loop)

    def stop(self) -> None:
        """No more checks; the threads stay where they are."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._current_core is not None
        core = self._current_core()
        if core >= 0 and core != self._core:
            with self._lock:  # a thread forgets itself only once this is done: its id is its own
                self._core = core
                for thread in self._threads:
                    with contextlib.suppress(OSError):  # the core left our cpuset
                        os.sched_setaffinity(thread, {core})
        self._timer = loop.call_later(self._period, self._check, loop)
