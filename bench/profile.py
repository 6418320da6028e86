"""Where the server's time goes: py-spy samples of the app under the get scenario.

``py-spy record --format raw --nonblocking --gil`` on the app's pid while the
load runs: ``--nonblocking`` never pauses the target (pausing it cost a third
of its throughput), ``--gil`` samples only the thread holding the GIL, which
for a one-process Python server is where its CPU goes (threads waiting for a
pool connection or a lock are not counted). The collapsed stacks are
summarised as self time by library (the innermost non-stdlib frame's package:
time in ``json`` or ``threading`` is charged to the library that called it),
the top frames by self time (the leaf), and the top frames by inclusive time
(anywhere on the stack; start-up, thread plumbing and the ASGI middleware
pass-through frames every request crosses are left out).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>.+?)(?::(?P<line>\d+))?\)$")
#: Frames on every stack of their thread (interpreter start-up, thread and loop
#: bootstrap): left out of the inclusive list, where they would only say "100%".
_PLUMBING_PACKAGES = frozenset({"runpy", "threading", "asyncio", "concurrent", "selectors"})
_PLUMBING_FILES = ("uvicorn/main.py", "uvicorn/server.py", "uvicorn/_compat.py", "__main__.py")


def py_spy_path() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    inclusive: list[tuple[str, float]]
    self_time: list[tuple[str, float]]
    packages: list[tuple[str, float]]
    raw_path: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "inclusive": self.inclusive,
            "self": self.self_time,
            "packages": self.packages,
            "raw": self.raw_path,
        }


def start_recording(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes] | None:
    spy = py_spy_path()
    if spy is None:
        return None
    argv = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200"]
    argv += ["--format", "raw", "--output", str(output), "--nonblocking", "--gil"]
    return subprocess.Popen(  # noqa: S603 - fixed argv
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _package(file: str) -> str:
    """py-spy names files by their path under the import root: the first part is the package."""
    if file.startswith("<frozen "):
        return file.removeprefix("<frozen ").rstrip(">").split(".")[0]
    first = re.split(r"[/\\]", file.lstrip("/"))[0]
    return first.removesuffix(".py") or "?"


def _name(frame: str) -> tuple[str, str, bool]:
    """Display name, package, and whether the frame is start-up plumbing."""
    match = _FRAME.match(frame)
    if not match:
        return frame, "?", False
    file = match["file"]
    package = _package(file)
    plumbing = package in _PLUMBING_PACKAGES or file.endswith(_PLUMBING_FILES)
    plumbing = plumbing or match["function"] == "WorkerThread.run"
    return f"{match['function']} ({file})", package, plumbing


#: ASGI pass-through frames: every request goes through them, they say nothing.
_PASS_THROUGH = re.compile(
    r"(__call__|run_asgi|wrapped_app|simple_response|\.app|\.handle|_handle_selected) \("
)


def _library(frames: list[tuple[str, str, bool]]) -> str:
    """The innermost non-stdlib package of a stack: stdlib time is charged to its caller."""
    for _, package, _ in reversed(frames):
        if package not in sys.stdlib_module_names and package != "builtin":
            return package
    return "stdlib"


def summarize(raw: Path, top: int = 15) -> Profile | None:
    try:
        lines = raw.read_text().splitlines()
    except OSError:
        return None
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(frame) for frame in stack.split(";") if not frame.startswith("thread (")]
        if not frames:
            continue
        total += count
        for name in {
            n for n, _, plumbing in frames if not plumbing and not _PASS_THROUGH.search(n)
        }:
            inclusive[name] += count
        leaf[frames[-1][0]] += count
        libraries[_library(frames)] += count
    if total == 0:
        return None

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100 * count / total) for name, count in counter.most_common(top)]

    return Profile(
        samples=total,
        inclusive=share(inclusive),
        self_time=share(leaf),
        packages=share(libraries),
        raw_path=str(raw),
    )
