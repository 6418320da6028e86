"""A unit of work that stops before its commit, to hold a request open mid-transaction."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from todo_adapters.sql import SqlUnitOfWork

#: Longest a held unit waits for its release (a failing test must not hang).
HOLD_LIMIT = 10.0


class CommitGate:
    """Holds the first unit of work that commits until ``release``; later ones pass."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self._released = threading.Event()
        self._armed = True
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            armed, self._armed = self._armed, False
        if armed:
            self.reached.set()
            self._released.wait(HOLD_LIMIT)

    def release(self) -> None:
        self._released.set()


class HeldCommit(SqlUnitOfWork):
    """``SqlUnitOfWork`` whose ``commit`` waits at ``gate`` (its statements already sent)."""

    def __init__(self, engine: Engine, gate: CommitGate) -> None:
        super().__init__(engine)
        self._gate = gate

    def commit(self) -> None:
        self._gate.hold()
        super().commit()
