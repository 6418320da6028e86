"""A clock the tests control, injected wherever the code asks for "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: A realistic moment with microseconds, so adapters must keep full precision.
DEFAULT_START = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


class FakeClock:
    """Returns ``now`` when called; moves only when told (or by ``step`` per call)."""

    def __init__(self, start: datetime = DEFAULT_START, *, step: timedelta = timedelta(0)) -> None:
        if start.tzinfo is None or start.utcoffset() != timedelta(0):
            raise ValueError("a FakeClock runs on aware UTC time")
        self.now = start.astimezone(UTC)
        self.step = step
        self.calls = 0

    def __call__(self) -> datetime:
        moment = self.now
        self.now += self.step
        self.calls += 1
        return moment

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware)."""
        if moment.tzinfo is None:
            raise ValueError("a FakeClock runs on aware UTC time")
        self.now = moment.astimezone(UTC)
