"""Starting, pinning, watching and stopping the servers under test.

Each server is its own process (``python -m todo_http`` for the app,
``python -m bench.floor`` for the floor), started with ``taskset -c <cpus>``
when pinned so that every thread it ever makes inherits the affinity, and
stopped by its pid (SIGTERM, then SIGKILL) with any worker it left behind.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.procstat import Usage, children_of, tree_usage

START_TIMEOUT_SECONDS = 60.0
ROOT = Path(__file__).resolve().parent.parent


class ServerFailed(RuntimeError):
    """A server did not come up (the message carries the end of its log)."""


@dataclass(slots=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    cpus: frozenset[int] | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def usage(self) -> Usage:
        return tree_usage(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        leftovers = children_of(self.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in leftovers:  # uvicorn workers normally exit with their parent
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue


def pinned(argv: Sequence[str], cpus: frozenset[int] | None) -> list[str]:
    """``argv`` under ``taskset -c`` (no-op when ``cpus`` is None or taskset is missing)."""
    taskset = shutil.which("taskset")
    if not cpus or taskset is None:
        return list(argv)
    return [taskset, "-c", ",".join(str(cpu) for cpu in sorted(cpus)), *argv]


def affinity_preexec(cpus: frozenset[int] | None):  # type: ignore[no-untyped-def]
    """Fallback pinning when taskset is missing (applied in the child before exec)."""
    if not cpus or shutil.which("taskset") is not None:
        return None

    def apply() -> None:
        os.sched_setaffinity(0, cpus)

    return apply


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start_server(
    *,
    name: str,
    module: str,
    port: int,
    env: dict[str, str],
    log_dir: Path,
    cpus: frozenset[int] | None,
    workers: int | None = None,
) -> Server:
    """Start ``python -m <module> --host 127.0.0.1 --port <port>`` and wait for ``/health``."""
    argv = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            pinned(argv, cpus),
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=affinity_preexec(cpus),  # noqa: PLW1509 - only without taskset
        )
    server = Server(name=name, port=port, process=process, log_path=log_path, cpus=cpus)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not server.alive():
            raise ServerFailed(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        if _healthy(port):
            return server
        time.sleep(0.2)
    server.stop()
    raise ServerFailed(f"{name} did not answer /health in time:\n{server.log_tail()}")
