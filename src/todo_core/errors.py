"""Every error the domain can raise, each with the message clients see.

The HTTP adapter maps these classes to status codes in one table; nothing in
the core knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


class TodoError(Exception):
    """Base of every domain error; ``message`` is safe to show to a client."""

    default_message = "Request failed"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotAuthenticated(TodoError):
    """No credentials were presented at all."""

    default_message = "Not authenticated"


class InvalidToken(TodoError):
    """Credentials were presented but cannot be trusted (signature, expiry, ...)."""

    default_message = "Invalid or expired token"


class InvalidTokenPayload(TodoError):
    """A trusted token that does not name a usable user (``sub``)."""

    default_message = "Invalid token payload"


class AccessDenied(TodoError):
    """The acting user addressed another user's collection."""

    default_message = "Not authorized to access this resource"


class TaskNotFound(TodoError):
    """The task does not exist or belongs to someone else (indistinguishable)."""

    default_message = "Task not found"


class VersionConflict(TodoError):
    """A conditional write named a version that is no longer current."""

    default_message = "Task was modified by another request"


class TaskLimitReached(TodoError):
    """The user already has as many tasks as one user may keep (``MAX_TASKS_PER_USER``).

    Decided by the storage, in the write itself, so concurrent creates cannot overshoot.
    """

    default_message = "Task limit reached"


class SyncTokenExpired(TodoError):
    """A changes-feed token older than the tombstones kept: the client must start over."""

    default_message = "Sync token expired; fetch everything again"


class StorageUnavailable(TodoError):
    """The storage backend cannot be used (unreachable, out of date); the request may be retried.

    ``cause`` is one line for the operator's log, never shown to a client: the
    message stays generic, the log says why.
    """

    default_message = "Service temporarily unavailable"

    def __init__(self, message: str | None = None, *, cause: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad input field: where it came from, why, and a machine-readable kind."""

    field: str
    message: str
    kind: str = "value_error"
    source: str = "body"


class InvalidInput(TodoError):
    """One or more input fields break the rules; carries one entry per field."""

    default_message = "Invalid input"

    def __init__(self, errors: list[FieldError] | tuple[FieldError, ...]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def single(
        cls, field: str, message: str, *, kind: str = "value_error", source: str = "body"
    ) -> InvalidInput:
        """Build the common one-field case."""
        return cls([FieldError(field, message, kind, source)])

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the offending fields, in order."""
        return tuple(e.field for e in self.errors)
