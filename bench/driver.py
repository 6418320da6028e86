"""One timed load run: wrk (or the Python client) against one server, measured from outside.

The load generator is its own process, pinned to its own core; its CPU time
comes from ``wait4``'s rusage, the server's from ``/proc/<pid>/stat`` deltas
over the run (all its threads and worker processes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.server import Server, affinity_preexec, pinned

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk" / "plan.lua"
ROOT = Path(__file__).resolve().parent.parent


class LoadFailed(RuntimeError):
    """The load generator did not produce a result."""


@dataclass(frozen=True, slots=True)
class RunStats:
    """What one run of one scenario against one server measured."""

    server: str
    scenario: str
    tool: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    server_cpu_s: float
    load_cpu_s: float
    rss_bytes: int
    started_at: float

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / max(self.requests, 1)

    @property
    def load_cpu_ms_per_request(self) -> float:
        return 1000 * self.load_cpu_s / max(self.requests, 1)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_total"] = self.error_total
        data["server_cpu_ms_per_request"] = self.server_cpu_ms_per_request
        data["load_cpu_ms_per_request"] = self.load_cpu_ms_per_request
        return data


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass(frozen=True, slots=True)
class LoadDriver:
    """How load is generated: the tool, concurrency, and the cores it may use."""

    tool: str  # "wrk" or "python"
    connections: int
    cpus: frozenset[int] | None

    def argv(self, url: str, plan: Path, ids: Path | None, duration: int) -> list[str]:
        if self.tool == "wrk":
            wrk = wrk_path()
            if wrk is None:
                raise LoadFailed("wrk is not installed")
            return [
                wrk, "-t1", f"-c{self.connections}", f"-d{duration}s", "--timeout", "10s",
                "-s", str(LUA_SCRIPT), url, "--", str(plan), str(ids) if ids else "-",
            ]  # fmt: skip
        argv = [
            sys.executable, "-m", "bench.load", "--url", url, "--plan", str(plan),
            "--connections", str(self.connections), "--duration", str(duration),
        ]  # fmt: skip
        if ids is not None:
            argv += ["--ids", str(ids)]
        return argv

    def run(
        self, server: Server, scenario: str, plan: Path, ids: Path | None, duration: int
    ) -> RunStats:
        """Load ``server`` with ``plan`` for ``duration`` whole seconds and measure."""
        before = server.usage()
        started_at = time.time()
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            pinned(self.argv(server.url, plan, ids, max(1, duration)), self.cpus),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=affinity_preexec(self.cpus),  # noqa: PLW1509 - only without taskset
        )
        # wait4 gives the child's own rusage (communicate() would reap it first).
        assert process.stdout is not None
        output = process.stdout.read().decode(errors="replace")
        process.stdout.close()
        _, status, rusage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        after = server.usage()
        result = next(
            (
                json.loads(line.split(" ", 1)[1])
                for line in output.splitlines()
                if line.startswith("BENCHJSON ")
            ),
            None,
        )
        if process.returncode != 0 or result is None:
            raise LoadFailed(
                f"{self.tool} failed ({process.returncode}) on {scenario}@{server.name}:\n"
                f"{output[-3000:]}"
            )
        latency = result["latency_us"]
        seconds = result["duration_us"] / 1e6
        requests = int(result["requests"])
        return RunStats(
            server=server.name,
            scenario=scenario,
            tool=self.tool,
            connections=self.connections,
            requests=requests,
            seconds=seconds,
            rps=requests / seconds if seconds else 0.0,
            p50_ms=latency["p50"] / 1000,
            p90_ms=latency["p90"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
            errors={name: int(count) for name, count in result["errors"].items()},
            server_cpu_s=after.cpu_seconds - before.cpu_seconds,
            load_cpu_s=rusage.ru_utime + rusage.ru_stime,
            rss_bytes=after.rss_bytes,
            started_at=started_at,
        )
