"""The servers under test: started (pinned with ``taskset`` when asked), watched, stopped.

Each server is its own process tree (uvicorn, and its workers with
``--workers``); its CPU time and memory are read from ``/proc`` over the tree.
It is stopped by its own pid (SIGTERM, then SIGKILL), never by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.support.local_server import answers_health, free_port

CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_SECONDS: Final = 60.0


class ServerFailed(RuntimeError):
    """A server did not come up (the message carries the end of its log)."""


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_seconds: float  # utime + stime, every thread of every process of the tree
    rss_bytes: int
    peak_rss_bytes: int  # VmHWM


@dataclass(slots=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def usage(self) -> Usage:
        pids = [self.pid, *descendants(self.pid)]
        return Usage(
            cpu_seconds=sum(cpu_seconds(pid) or 0.0 for pid in pids),
            rss_bytes=sum(_status_kib(pid, "VmRSS") for pid in pids) * 1024,
            peak_rss_bytes=sum(_status_kib(pid, "VmHWM") for pid in pids) * 1024,
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        leftovers = descendants(self.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in leftovers:  # uvicorn's workers normally leave with their parent
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue


def pinned(argv: list[str], cpus: str | None) -> list[str]:
    """``argv`` under ``taskset -c cpus`` (every thread it makes inherits the affinity)."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", cpus, *argv] if cpus and taskset else argv


def spawn(argv: list[str], *, nice: int, **options: Any) -> subprocess.Popen[Any]:
    """Start ``argv`` in a session of its own, whose scheduling group gets niceness ``nice``.

    The kernel shares CPU between sessions (autogroups) first and by niceness
    only within one, so on a machine busy with other people's work ``nice``
    alone changes nothing: the session's group is what gets the niceness.
    """
    process = subprocess.Popen(argv, start_new_session=True, **options)  # noqa: S603
    if nice:
        with contextlib.suppress(OSError):  # no autogroups here, or not allowed
            Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))
    return process


def prioritise(pids: list[int], nice: int) -> None:
    """Give processes (the bench database's backends) niceness ``nice``, where allowed.

    A PostgreSQL backend calls ``setsid()`` when the postmaster forks it, so
    each is a session, and a scheduling group, of its own: the group's
    niceness is what weighs it against the servers' groups (``spawn``), its
    own only ranks it within itself. Left at 0 against the servers' -10, a
    backend got about a tenth of their weight: with both cores busy (2
    workers, nothing pinned) a query waited up to 1.3 s for a CPU (``perf
    sched latency``), and the service, which keeps more threads runnable than
    the floor, had a p99 of hundreds of milliseconds that was the bench's.
    """
    for pid in pids:
        with contextlib.suppress(OSError):  # gone, no autogroups here, or not ours to change
            group = Path(f"/proc/{pid}/autogroup")
            if not group.read_text().rstrip().endswith(f"nice {nice}"):
                group.write_text(str(nice))
        with contextlib.suppress(OSError):
            if nice and os.getpriority(os.PRIO_PROCESS, pid) != nice:
                os.setpriority(os.PRIO_PROCESS, pid, nice)


def pin_workers(server: Server, cpus: list[int]) -> list[int]:
    """Confine each worker process of ``server`` (every thread) to one CPU of ``cpus`` in turn.

    The workers are the ``multiprocessing`` children that serve (uvicorn's and
    the floor's alike). Returns their pids. For ``BENCH_PIN_WORKERS``: what a
    worker's threads cost by moving between cores.
    """
    workers = [pid for pid in descendants(server.pid) if b"spawn_main" in _cmdline(pid)]
    taskset = shutil.which("taskset")
    for index, pid in enumerate(workers if taskset else []):
        cpu = str(cpus[index % len(cpus)])
        subprocess.run(  # noqa: S603
            [taskset, "-a", "-p", "-c", cpu, str(pid)], check=True, stdout=subprocess.DEVNULL
        )
    return workers


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def start(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log_dir: Path,
    cpus: str | None,
    nice: int,
) -> Server:
    """Run ``argv --host 127.0.0.1 --port <free>`` and wait for ``GET /health``."""
    port = free_port()
    argv = pinned([*argv, "--host", "127.0.0.1", "--port", str(port)], cpus)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = spawn(
            argv, nice=nice, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        if answers_health(port):
            return server
        time.sleep(0.2)
    server.stop()
    raise ServerFailed(f"{name} did not answer /health in time:\n{server.log_tail()}")


def _stat(pid: int) -> tuple[str, list[str]] | None:
    """The command name and the fields after it of ``/proc/<pid>/stat``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name_end = text.rindex(")")  # the command name may hold spaces and parentheses
    return text[text.index("(") + 1 : name_end], text[name_end + 2 :].split()


def cpu_seconds(pid: int, command: str | None = None) -> float | None:
    """utime + stime of ``pid`` (all its threads); ``None`` if gone or not ``command``."""
    stat = _stat(pid)
    if stat is None or (command is not None and stat[0] != command):
        return None
    return (int(stat[1][11]) + int(stat[1][12])) / CLOCK_TICKS


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy, all cores (``/proc/stat``)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(int(stat[1][1]), []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
