"""Why clients get 503: a WARNING per cause, at once, then at most once a minute per cause.

An outage makes every request fail the same way. A line per response would
bury the log at the worst moment; none leaves operators guessing why users
see 503. So the first 503 of a cause is logged at once, repeats of that cause
within ``REPEAT_AFTER_SECONDS`` are only counted, and the next line for it
says how many were folded in. Causes are single lines built by the adapters
(an error class and the first line of its message): never a token, never SQL
or its parameters. Each app keeps its own log (``app.state``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from starlette.requests import HTTPConnection

REPEAT_AFTER_SECONDS: Final = 60.0
#: Distinct causes remembered; beyond that the stale ones are forgotten.
MAX_CAUSES: Final = 256
NO_CAUSE: Final = "no cause given"

logger = logging.getLogger("todo_http")


class UnavailableLog:
    """Rate-limited WARNINGs about 503s, keyed by cause; safe to share between threads."""

    def __init__(
        self,
        *,
        repeat_after_seconds: float = REPEAT_AFTER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = repeat_after_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # cause -> (when it was last logged, occurrences folded since)
        self._seen: dict[str, tuple[float, int]] = {}

    def report(self, where: str, cause: str | None) -> None:
        """Log that ``where`` answered 503 because of ``cause``, unless it was logged lately."""
        cause = cause or NO_CAUSE
        now = self._monotonic()
        with self._lock:
            seen = self._seen.get(cause)
            if seen is not None and now - seen[0] < self._interval:
                self._seen[cause] = (seen[0], seen[1] + 1)
                return
            if seen is None and len(self._seen) >= MAX_CAUSES:
                self._forget_stale(now)
            self._seen[cause] = (now, 0)
        folded = seen[1] if seen is not None else 0
        if folded:
            logger.warning(
                "503 on %s: %s (and %d more like it since the last report)", where, cause, folded
            )
        else:
            logger.warning("503 on %s: %s", where, cause)

    def _forget_stale(self, now: float) -> None:
        fresh = {c: s for c, s in self._seen.items() if now - s[0] < self._interval}
        self._seen = fresh if len(fresh) < MAX_CAUSES else {}


def report_unavailable(connection: HTTPConnection, cause: str | None) -> None:
    """Log a 503 of this request through its app's ``UnavailableLog`` (method and path only)."""
    log = getattr(connection.app.state, "unavailable_log", None)
    if log is None:
        log = connection.app.state.unavailable_log = UnavailableLog()
    method = connection.scope.get("method", "")
    log.report(f"{method} {connection.url.path}".strip(), cause)
