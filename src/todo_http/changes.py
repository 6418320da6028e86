"""The changes feed over HTTP: its query, and the long poll (``wait``).

A waiting request holds no database connection, no thread and no gate slot
while it waits: it sleeps in the event loop and, every ``POLL_INTERVAL``
seconds, takes the database gate for one cheap read of the user's change
clock (``TaskService.change_mark``, one ``SELECT``, shared by every waiter of
the same user in this worker), then reads the feed again only when the clock
has moved past its token. At most ``MAX_WAITING``
requests wait per worker; beyond that a request is answered at once (an empty
page with the same token, as if its wait had run out).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import anyio

from todo_core.changes import DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT, ChangeFeed
from todo_core.errors import FieldError, InvalidInput
from todo_http.auth import Caller
from todo_http.listing_parameters import empty_means_absent

#: Seconds between two looks at the change clock while a request waits.
POLL_INTERVAL: Final = 0.25
#: Longest ``wait``, in seconds.
MAX_WAIT: Final = 30
#: Requests that may wait at once in one worker.
MAX_WAITING: Final = 100

CHANGES_PARAMETERS: Final[list[dict[str, Any]]] = [
    {
        "name": "since",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": (
            "The `next` token of an earlier answer. Without it (or empty): every current task."
        ),
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": empty_means_absent(
            {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_CHANGES_LIMIT,
                "default": DEFAULT_CHANGES_LIMIT,
            }
        ),
        "description": "Changes per page; `more` says whether others remain. Empty: as if absent.",
    },
    {
        "name": "wait",
        "in": "query",
        "required": False,
        "schema": empty_means_absent(
            {"type": "number", "minimum": 0, "maximum": MAX_WAIT, "default": 0}
        ),
        "description": (
            "Seconds to hold the request while nothing changed (long poll). Empty: as if absent."
        ),
    },
]


@dataclass(frozen=True, slots=True)
class ChangesQuery:
    """The feed's query parameters, parsed."""

    since: str | None = None
    limit: int = DEFAULT_CHANGES_LIMIT
    wait: float = 0.0


def parse_changes_query(params: Mapping[str, str]) -> ChangesQuery:
    """``since``, ``limit`` and ``wait``; an empty value is the same as none (API.md 4)."""
    errors: list[FieldError] = []
    since = params.get("since") or None
    limit = DEFAULT_CHANGES_LIMIT
    wait = 0.0
    if raw_limit := params.get("limit"):
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_CHANGES_LIMIT:
            errors.append(
                FieldError(
                    "limit",
                    f"limit must be an integer from 1 to {MAX_CHANGES_LIMIT}",
                    "value_error",
                    "query",
                )
            )
    if raw_wait := params.get("wait"):
        try:
            wait = float(raw_wait)
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= MAX_WAIT:
            errors.append(
                FieldError(
                    "wait",
                    f"wait must be a number of seconds from 0 to {MAX_WAIT}",
                    "value_error",
                    "query",
                )
            )
    if errors:
        raise InvalidInput(errors)
    return ChangesQuery(since=since, limit=limit, wait=wait)


class Waiting:
    """The requests of this worker that wait, bounded, and their shared looks at the clocks.

    Waiters of one user share one read of the clock per ``POLL_INTERVAL``: 50 tabs
    of one user cost one ``SELECT`` per interval, not 50.
    """

    def __init__(self, limit: int = MAX_WAITING) -> None:
        self.limit = limit
        self.count = 0
        self._looking: dict[str, asyncio.Future[int]] = {}
        self._seen: dict[str, tuple[float, int]] = {}

    async def mark(self, user_id: str, look: Callable[[], Awaitable[int]]) -> int:
        """The user's clock, read at most once per half interval however many wait for it."""
        seen = self._seen.get(user_id)
        if seen is not None and anyio.current_time() - seen[0] < POLL_INTERVAL / 2:
            return seen[1]
        looking = self._looking.get(user_id)
        if looking is None:
            looking = asyncio.ensure_future(look())
            self._looking[user_id] = looking

            def done(future: asyncio.Future[int]) -> None:
                self._looking.pop(user_id, None)
                if not future.cancelled() and future.exception() is None:
                    self._seen[user_id] = (anyio.current_time(), future.result())

            looking.add_done_callback(done)
        return await asyncio.shield(looking)

    def enter(self) -> bool:
        """Take a place, if one is left (the event loop is single-threaded: no lock)."""
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._seen.clear()


def _news(feed: ChangeFeed) -> bool:
    return bool(feed.changed or feed.deleted or feed.more)


async def follow_changes(caller: Caller, query: ChangesQuery, *, waiting: Waiting) -> ChangeFeed:
    """Read the feed; with ``wait`` and nothing to report, wait for a change (see above)."""
    service = caller.service

    async def read(since: str | None) -> ChangeFeed:
        return await caller.gate.run(
            service.changes,
            actor=caller.actor,
            owner=caller.owner,
            since=since,
            limit=query.limit,
        )

    async def mark() -> int:
        return await caller.gate.run(service.change_mark, actor=caller.actor, owner=caller.owner)

    feed = await read(query.since)
    if query.wait <= 0 or _news(feed) or not waiting.enter():
        return feed
    try:
        deadline = anyio.current_time() + query.wait
        pause = random.uniform(0.5, 1) * POLL_INTERVAL  # noqa: S311 - spreads the looks
        while (remaining := deadline - anyio.current_time()) > 0:
            await anyio.sleep(min(pause, remaining))
            pause = POLL_INTERVAL
            if await waiting.mark(caller.actor, mark) > feed.seq:
                feed = await read(feed.next_token)
                if _news(feed):
                    return feed
        return feed
    finally:
        waiting.leave()
