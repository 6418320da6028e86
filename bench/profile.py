"""Where the service's CPU goes: py-spy on the app's process while a scenario runs.

``py-spy record --format raw --nonblocking --gil``: ``--nonblocking`` never
pauses the server, ``--gil`` samples the thread holding the GIL, which for one
Python process is where its CPU goes (threads waiting for the gate, the pool
or a socket are not counted). The summary: top frames by self time (the leaf)
and by inclusive time (anywhere on the stack; start-up, loop, thread and ASGI
pass-through frames left out).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>.+?)(?::\d+)?\)$")
#: Frames on (nearly) every stack: start-up, event loop and thread plumbing, and the
#: ASGI middleware every request passes through. Left out of the inclusive list.
_PLUMBING = re.compile(
    r"(^|\.)(<module>|_run_code|_run_module_as_main|main|run|asyncio_run|serve|_serve"
    r"|run_forever|_run_once|_run|_bootstrap|_bootstrap_inner|worker|_worker|__call__"
    r"|wrapped_app|run_asgi|simple_response|app|handle) \("
)


def start(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes] | None:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return None
    argv = [str(spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200"]
    argv += ["--format", "raw", "--output", str(output), "--nonblocking", "--gil"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    return f"{match['function']} ({match['file']})" if match else frame


def _plumbing(name: str) -> bool:
    return _PLUMBING.search(name.partition(" (")[0] + " (") is not None


def summarize(raw: Path, top: int = 15) -> dict[str, Any] | None:
    """Samples, and the top frames by self and by inclusive share (percent of samples)."""
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count = line.rpartition(" ")
        frames = [_name(f) for f in stack.split(";") if f and not f.startswith("thread (")]
        if not frames or not count.isdigit():
            continue
        total += int(count)
        leaf[frames[-1]] += int(count)
        for frame in set(frames):
            if not _plumbing(frame):
                inclusive[frame] += int(count)
    if total == 0:
        return None

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {"samples": total, "self": shares(leaf), "inclusive": shares(inclusive)}
