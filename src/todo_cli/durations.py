"""Human durations for ``--ttl`` (``90s``, ``30m``, ``1h``, ``7d``)."""

from __future__ import annotations

import re
from typing import Final

import click

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN: Final = re.compile(r"(\d+)([smhd]?)")


class Duration(click.ParamType[int, object]):
    """A click parameter type that reads a duration into whole seconds."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        match = _PATTERN.fullmatch(str(value).strip().lower())
        if match is None or int(match.group(1)) == 0:
            self.fail(f"{value!r} is not a duration like 90s, 30m, 1h or 7d", param, ctx)
        return int(match.group(1)) * _UNITS[match.group(2) or "s"]
