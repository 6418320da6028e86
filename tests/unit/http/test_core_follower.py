"""The gate's threads run on the core of their event loop, and follow it when it moves."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from todo_http.core_follower import FOLLOW_PERIOD_SECONDS
from todo_http.gate import DatabaseGate

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity"), reason="threads are confined on Linux only"
)


def _on_a_loop_thread_of_its_own(gate: DatabaseGate, scenario: Coroutine[Any, Any, None]) -> None:
    """Run ``scenario`` on an event loop in a new thread (the test's own thread stays where
    it is), then close the gate, as the app's shutdown closes it."""
    loop_thread = threading.Thread(target=asyncio.run, args=(scenario,))
    loop_thread.start()
    loop_thread.join(timeout=10)
    gate.close()


def _cores_seen_by_gate_threads(gate: DatabaseGate, loop_cores: list[int]) -> list[set[int]]:
    """An event loop on each of ``loop_cores`` in turn: the cores a gate thread may run on then."""
    seen: list[set[int]] = []

    async def scenario() -> None:
        for core in loop_cores:
            os.sched_setaffinity(0, {core})  # this thread is the loop's: it moves there now
            await gate.run(lambda: None)  # the threads exist and the loop checks its core
            await asyncio.sleep(5 * FOLLOW_PERIOD_SECONDS)
            for _ in range(gate.slots):
                seen.append(await gate.run(os.sched_getaffinity, 0))

    _on_a_loop_thread_of_its_own(gate, scenario())
    return seen


def test_the_gate_threads_run_on_the_loops_core_and_follow_it_to_another() -> None:
    cores = sorted(os.sched_getaffinity(0))
    first, last = cores[0], cores[-1]  # one and the same on a single core

    seen = _cores_seen_by_gate_threads(DatabaseGate(slots=2, timeout=1), [last, first])

    assert seen == [{last}, {last}, {first}, {first}]


def test_a_gate_closed_and_served_again_on_the_same_loop_still_follows_it() -> None:
    cores = sorted(os.sched_getaffinity(0))
    first, last = cores[0], cores[-1]
    gate = DatabaseGate(slots=1, timeout=1)
    seen: list[set[int]] = []

    async def scenario() -> None:
        os.sched_setaffinity(0, {last})
        await gate.run(lambda: None)
        gate.close()  # the app's shutdown; then it serves again on the same loop
        await gate.run(lambda: None)  # new threads, started on the last core
        os.sched_setaffinity(0, {first})
        await asyncio.sleep(5 * FOLLOW_PERIOD_SECONDS)
        seen.append(await gate.run(os.sched_getaffinity, 0))

    _on_a_loop_thread_of_its_own(gate, scenario())

    assert seen == [{first}]
