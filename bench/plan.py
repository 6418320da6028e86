"""Request plans: what a scenario sends, in one file format both load generators read.

A plan is a tab-separated text file, one request kind per line:
``weight, method, path, token, body``. ``{id}`` in a path is replaced by a
random task id from the ids file, ``{n}`` in a body by a random integer.
``bench/wrk/plan.lua`` and ``bench/load.py`` pick kinds by weight the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RequestKind:
    """One kind of request of a plan and its share of the load."""

    weight: int
    method: str
    path: str
    token: str
    body: str = ""

    def line(self) -> str:
        for part in (self.method, self.path, self.token, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError(f"plan fields cannot hold tabs or newlines: {part!r}")
        return f"{self.weight}\t{self.method}\t{self.path}\t{self.token}\t{self.body}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A scenario's requests; ``ids_file`` feeds ``{id}``."""

    kinds: tuple[RequestKind, ...]
    ids_file: Path | None = None

    def write(self, path: Path) -> Path:
        path.write_text("".join(kind.line() + "\n" for kind in self.kinds))
        return path


def read_plan(path: Path) -> list[RequestKind]:
    kinds = []
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        weight, method, target, token, body = [*line.split("\t"), ""][:5]
        kinds.append(RequestKind(int(weight), method, target, token, body))
    return kinds


def read_ids(path: Path | None) -> list[str]:
    if path is None:
        return []
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


class RequestFactory:
    """Builds raw HTTP/1.1 requests from a plan, as the Lua script does."""

    def __init__(self, kinds: list[RequestKind], ids: list[str], host: str, seed: int) -> None:
        self._kinds = kinds
        self._ids = ids
        self._host = host
        self._random = random.Random(seed)  # noqa: S311 - load mix, not security
        self._cumulative: list[int] = []
        total = 0
        for kind in kinds:
            total += kind.weight
            self._cumulative.append(total)
        self._total = total

    def next(self) -> bytes:
        kind = self._kinds[0]
        if len(self._kinds) > 1:
            pick = self._random.randint(1, self._total)
            for index, upto in enumerate(self._cumulative):
                if pick <= upto:
                    kind = self._kinds[index]
                    break
        path = kind.path
        if "{id}" in path:
            path = path.replace("{id}", self._random.choice(self._ids), 1)
        body = kind.body
        if "{n}" in body:
            body = body.replace("{n}", str(self._random.randint(1, 1_000_000_000)), 1)
        lines = [
            f"{kind.method} {path} HTTP/1.1",
            f"Host: {self._host}",
            f"Authorization: Bearer {kind.token}",
        ]
        payload = body.encode()
        if payload:
            lines.append("Content-Type: application/json")
        if payload or kind.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
