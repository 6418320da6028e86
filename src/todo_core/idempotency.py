"""Idempotent requests (API.md section 11): what is remembered of a request, and for how long.

A driving adapter hands a write its ``Once``: the client's key, a fingerprint
of the request, and how to turn the write's outcome into the response it
sends. The use case stores the key, the fingerprint and that response in the
same unit of work as the change (the key first), so both are committed
together or not at all. The key is unique per user in the storage: a
concurrent request with the same key cannot store it too, and finds it taken
without waiting for the first request to end (the storage's business: see
``TaskRepository.remember``). A key found taken whose record can be read
(committed) replays the first response; one taken but not readable (the
first request has not committed) is ``IdempotencyInProgress``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from todo_core.errors import FieldError, InvalidInput, TodoError

if TYPE_CHECKING:
    from todo_core.services import Written

#: How long a key is remembered.
KEY_LIFETIME: Final = timedelta(hours=24)
MAX_KEY_LENGTH: Final = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response as the driving adapter will send it again: status, body, headers."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Remembered:
    """One key's record: the request's fingerprint and the response given."""

    key: str
    fingerprint: str
    response: StoredResponse
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Once:
    """What makes a write idempotent: the key, the request's fingerprint, the response maker."""

    key: str
    fingerprint: str
    respond: Callable[[Written], StoredResponse]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response to send, and whether it is a replay of an earlier one."""

    response: StoredResponse
    replayed: bool


class IdempotencyKeyTaken(Exception):
    """Raised by the storage: this user's key is already stored (not a client error)."""


class IdempotencyInProgress(TodoError):
    """Another request with the same key has not finished."""

    default_message = "A request with this Idempotency-Key is in progress"


HEADER: Final = "Idempotency-Key"


def key_reused() -> InvalidInput:
    """The same key with another request: a 422 naming the header."""
    return InvalidInput(
        [
            FieldError(
                HEADER, "Idempotency-Key was used for another request", "value_error", "header"
            )
        ]
    )


def parse_key(value: str) -> str:
    """The key of an ``Idempotency-Key`` header: a Structured Field string or the bare form."""
    text = value.strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        inner = text[1:-1]
        if '"' in inner.replace("\\\\", "").replace('\\"', ""):
            raise _bad_key()
        text = inner.replace('\\"', '"').replace("\\\\", "\\")
    if not 1 <= len(text) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in text):
        raise _bad_key()
    return text


def _bad_key() -> InvalidInput:
    return InvalidInput(
        [
            FieldError(
                HEADER,
                "Idempotency-Key must be 1-255 printable ASCII characters",
                "value_error",
                "header",
            )
        ]
    )
