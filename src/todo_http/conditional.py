"""ETags and the ``If-Match`` / ``If-None-Match`` preconditions (RFC 9110 section 13).

A task's ETag is its version, quoted: ``"3"``. ``If-Match`` uses the strong
comparison (a weak ``W/"3"`` never matches), ``If-None-Match`` the weak one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from todo_core.errors import VersionConflict

_ENTITY_TAG: Final = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_VERSION: Final = re.compile(r"[1-9][0-9]{0,18}")

_TAG: Final = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
#: ``If-Match`` / ``If-None-Match`` as declared (RFC 9110: ``*`` or a list of entity tags;
#: blank counts as absent). The server reads any value, but only these mean something.
ENTITY_TAGS_SCHEMA: Final = {
    "type": "string",
    "pattern": rf"^[ \t]*(?:\*|{_TAG}(?:[ \t]*,[ \t]*{_TAG})*)?[ \t]*$",
}

#: A version no task has: the write still looks the task up (404 first), then fails (412).
NO_VERSION: Final = -1


def etag(version: int) -> str:
    """The ETag of a task at ``version``."""
    return f'"{version}"'


def _versions(header: str, *, weak_allowed: bool) -> set[int]:
    found: set[int] = set()
    for weak, opaque in _ENTITY_TAG.findall(header):
        if (weak and not weak_allowed) or not _VERSION.fullmatch(opaque):
            continue
        found.add(int(opaque))
    return found


def none_match(header: str | None, version: int) -> bool:
    """Whether ``If-None-Match`` matches the current version (then a GET answers 304)."""
    if header is None or not header.strip():
        return False
    if header.strip() == "*":
        return True
    return version in _versions(header, weak_allowed=True)


def expected_version(header: str | None, current_version: Callable[[], int]) -> int | None:
    """The ``expected_version`` a conditional write passes to the use case.

    ``None`` (no header, a blank one, or ``*``: the task must exist, which
    every write checks anyway); a single listed version; ``NO_VERSION`` when nothing
    listed can match. A list of several versions needs the current one
    (``current_version``, which raises ``TaskNotFound`` for a missing task):
    if it is listed, the write is made conditional on it; if not, 412.
    """
    if header is None or header.strip() in ("", "*"):
        return None
    versions = _versions(header, weak_allowed=False)
    if not versions:
        return NO_VERSION
    if len(versions) == 1:
        return versions.pop()
    current = current_version()
    if current not in versions:
        raise VersionConflict()
    return current
