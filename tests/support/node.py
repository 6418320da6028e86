"""Node.js for the tests of the TypeScript client and the browser end-to-end tests.

The Node packages are pinned by the ``package-lock.json`` committed beside
each ``package.json``; ``npm_ci`` installs them into that folder's
``node_modules`` (ignored by git) when it is missing or was installed from
another lock file, and leaves it alone otherwise. A missing tool skips the
tests that need it with the reason, or fails them under ``CI=true``: a CI
run must not pass by skipping them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final, NoReturn

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
CLIENT_DIR: Final = ROOT / "clients" / "typescript"
#: Node.js major version the packages need (playwright-core says >= 20).
MIN_NODE_MAJOR: Final = 20
#: Written into node_modules after ``npm ci``: the lock file it installed, hashed.
STAMP: Final = ".todo-core-lock.sha256"
NPM_CI_TIMEOUT_SECONDS: Final = 240


def on_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where a skip would hide a missing tool."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail when ``CI=true``."""
    if on_ci():
        pytest.fail(f"required on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def node_executable() -> str:
    """``node`` (version 20 or later), or skip / fail saying why."""
    node = shutil.which("node")
    if node is None:
        skip_or_fail(f"Node.js {MIN_NODE_MAJOR}+ is not installed (node is not on PATH)")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.strip()
    major = version.lstrip("v").split(".", 1)[0]
    if not major.isdigit() or int(major) < MIN_NODE_MAJOR:
        skip_or_fail(f"Node.js {MIN_NODE_MAJOR}+ is required, found {version or 'nothing'}")
    return node


def npm_ci(folder: Path) -> Path:
    """``folder`` with the packages of its lock file installed (``npm ci`` when needed)."""
    node_executable()
    npm = shutil.which("npm")
    if npm is None:
        skip_or_fail("npm is not installed (it comes with Node.js)")
    lock = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / STAMP
    if stamp.is_file() and stamp.read_text().strip() == lock:
        return folder
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=NPM_CI_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        skip_or_fail(f"npm ci in {folder} took over {NPM_CI_TIMEOUT_SECONDS} s")
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        skip_or_fail(f"npm ci in {folder} failed ({done.returncode}):\n{tail}")
    stamp.write_text(lock + "\n")
    return folder
