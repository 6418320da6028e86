"""The load: wrk with ``bench/wrk/plan.lua`` reading a plan file, one thread, keep-alive.

A plan is a tab-separated file, one request kind per line: weight, method,
path, token, body. ``{id}`` in a path is a random task id from the ids file,
``{n}`` in a body a random integer (so that every PATCH really changes the task).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import pinned, spawn

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk" / "plan.lua"


class LoadFailed(RuntimeError):
    """wrk did not run or printed no result."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of request of a plan and its share of the load."""

    weight: int
    method: str
    path: str
    token: str
    body: str = ""

    def line(self) -> str:
        fields = (self.method, self.path, self.token, self.body)
        if any("\t" in field or "\n" in field for field in fields):
            raise ValueError(f"plan fields cannot hold tabs or newlines: {fields!r}")
        return "\t".join((str(self.weight), *fields))


def write_plan(path: Path, kinds: list[Kind]) -> Path:
    path.write_text("".join(kind.line() + "\n" for kind in kinds))
    return path


def wrk_argv(url: str, plan: Path, ids: Path, *, connections: int, seconds: int) -> list[str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadFailed("wrk is not installed (make bench installs it: apt-get install wrk)")
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s"]
    return [*argv, str(LUA_SCRIPT), url, "--", str(plan), str(ids)]


def start_wrk(argv: list[str], *, cpus: str | None, nice: int) -> subprocess.Popen[str]:
    """wrk, pinned to ``cpus`` when given, its scheduling group at niceness ``nice``."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    return spawn(pinned(argv, cpus), nice=nice, text=True, **options)


def finish_wrk(process: subprocess.Popen[str]) -> dict[str, Any]:
    """wrk's ``BENCHJSON`` line: requests, duration, errors by kind, latency percentiles (us)."""
    try:
        output, _ = process.communicate()
    except BaseException:  # interrupted: wrk is in a session of its own, Ctrl-C missed it
        process.kill()
        raise
    for line in output.splitlines():
        if line.startswith("BENCHJSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCHJSON "))
            return result
    raise LoadFailed(f"wrk exited with {process.returncode}:\n{output[-2000:]}")
