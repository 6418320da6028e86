"""The changes feed (API.md section 10): what a change is, and what a sync token means.

The guarantee: a reader that asks for "changes after seq N" never misses a
change, whatever order concurrent writers commit in. It holds by construction:

- Every user has one change counter (a clock). A write bumps it **inside its
  own transaction**, as its last step, and stamps each task it touched (or its
  tombstone) with the value it took. Taking the value locks the user's clock
  row until the writing transaction ends, so a second writer of the same user
  can only take the next value after the first has committed (or rolled
  back): per user, the order of the numbers is the order of the commits.
- Hence, once a reader sees a change numbered ``n``, every change numbered
  below ``n`` is already committed and visible to it: "seq > token" can never
  skip a lower number that commits later, which is exactly what a plain
  sequence or ``updated_at`` allows.
- Each task keeps only the number of its last change, so a page holds every
  changed task once, in its current state, in commit order. A deletion leaves a
  tombstone (number and time) kept for the retention period.
- Old tombstones are pruned (``TaskService.prune_changes``); the highest
  number pruned is remembered per user, and a token below it is expired (the
  client may have missed a deletion). The reader checks this against the same
  snapshot as the page it reads.

Nothing here needs session state or notifications: it is one row lock in the
writing transaction, which works the same through PgBouncer in transaction
mode, in SQLite (whose writers are serialised anyway) and in memory.

A sync token is opaque to clients: base64url of ``[user fingerprint, seq]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from todo_core.errors import InvalidInput
from todo_core.model import Task

DEFAULT_CHANGES_LIMIT: Final = 100
MAX_CHANGES_LIMIT: Final = 500
MAX_TOKEN_LENGTH: Final = 200
#: Default of ``CHANGES_RETENTION_DAYS``.
DEFAULT_RETENTION_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One task's last change: its number, and the task as it stands or its deletion time."""

    seq: int
    task_id: uuid.UUID
    task: Task | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """What an adapter reads in one snapshot: entries after a number, the clock, the pruned mark.

    ``entries`` are in ascending ``seq``, at most ``limit + 1`` of them (so the
    use case can tell whether more remain). ``mark`` is the user's clock and
    ``pruned`` the highest number whose tombstone was pruned (0 if none).
    """

    entries: tuple[ChangeEntry, ...]
    mark: int
    pruned: int


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A deleted task, as the feed reports it."""

    task_id: uuid.UUID
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeFeed:
    """One page of the feed: tasks changed (current state), tasks deleted, the next token."""

    changed: tuple[Task, ...]
    deleted: tuple[Tombstone, ...]
    next_token: str
    more: bool
    seq: int


def _fingerprint(user_id: str) -> str:
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def encode_token(user_id: str, seq: int) -> str:
    """The opaque token of position ``seq`` in ``user_id``'s feed."""
    raw = json.dumps([_fingerprint(user_id), seq], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _bad_token(message: str) -> InvalidInput:
    return InvalidInput.single("since", message, source="query")


def decode_token(token: str, user_id: str) -> int:
    """The position a token names; ``InvalidInput`` on ``since`` if corrupt or another user's."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _bad_token("since is not a valid sync token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fingerprint, seq = json.loads(raw)
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise TypeError("seq must be a natural number")
        if not isinstance(fingerprint, str):
            raise TypeError("fingerprint must be text")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _bad_token("since is not a valid sync token") from None
    if fingerprint != _fingerprint(user_id):
        raise _bad_token("since belongs to another user")
    return seq


def check_limit(limit: int) -> int:
    """A page size of 1-500, else ``InvalidInput`` on ``limit``."""
    if not 1 <= limit <= MAX_CHANGES_LIMIT:
        raise InvalidInput.single(
            "limit", f"limit must be between 1 and {MAX_CHANGES_LIMIT}", source="query"
        )
    return limit
