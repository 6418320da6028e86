"""Fixtures of the end-to-end tests: the Node harness, a PostgreSQL database, the served app.

- ``harness_packages``: the harness folder, its Node packages installed.
- ``harness``: ``harness/server.mjs`` (Better Auth with its jwt plugin on
  http://localhost:3000, the page, headless Chromium), one process for the
  session; its Node packages and the TypeScript client's are installed with
  ``npm ci`` when missing or outdated.
- ``e2e_database_url``: a migrated database of these tests' own, on the
  PostgreSQL the integration tests find (``tests/integration/postgres.py``).
- ``served_app``: the real service, ``python -m todo_bootstrap`` with uvicorn on a
  free port, configured as a deployment behind that Better Auth would be.

Without Node.js 20+ or Debian's Chromium (``make test-tools`` installs it) the
tests skip with the reason, and fail under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from tests.integration.postgres import postgres_server, temporary_database
from tests.support.local_server import answers_health, free_port
from tests.support.node import node_executable, npm_ci, skip_or_fail
from tests.support.postgres_server import can_create_databases
from todo_adapters.sql import upgrade_database

HARNESS_DIR: Final = Path(__file__).resolve().parent / "harness"
CHROMIUM: Final = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
START_TIMEOUT_SECONDS: Final = 60.0
#: Settings of the service's environment that the tests set themselves (or leave unset).
SERVICE_SETTINGS: Final = (
    "DATABASE_URL",
    "JWT_SECRET",
    "BETTER_AUTH_SECRET",
    "JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "CORS_ORIGINS",
)


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for failure messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass(slots=True)
class Harness:
    """The running Node harness, driven over its ``/__harness/`` routes."""

    origin: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def _post(self, route: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.origin}/__harness/{route}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def use(self, variant: str) -> None:
        """Serve a fresh Better Auth of ``variant`` (its own users and keys) from now on."""
        self._post("variant", {"variant": variant}, timeout=30)

    def run(self, scenario: str, *, api: str, timeout_seconds: float = 90) -> dict[str, Any]:
        """Run ``scenario`` in a fresh browser context against the service at ``api``."""
        return self._post(
            "run",
            {"scenario": scenario, "api": api, "timeoutSeconds": timeout_seconds},
            timeout=timeout_seconds + 30,
        )

    def log(self) -> str:
        return log_tail(self.log_path)


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().decode(errors="replace").strip()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (``apt-get install chromium``; ``make test`` does when it can)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(
            f"Chromium is not installed at {CHROMIUM} (make test-tools installs Debian's package)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def harness_packages(typescript_client: Path) -> Path:
    """The harness folder with its Node packages (and the client's, which the page imports)."""
    return npm_ci(HARNESS_DIR)


@pytest.fixture(scope="session")
def harness(
    harness_packages: Path, chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """The Node harness, serving until the session ends (its stdin closing stops it)."""
    node = node_executable()
    log_path = tmp_path_factory.mktemp("harness") / "harness.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(harness_packages / "server.mjs")],
            cwd=harness_packages,
            env={**os.environ, "E2E_CHROMIUM": str(chromium)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        ready = _first_line(process, START_TIMEOUT_SECONDS)
        if not ready:
            pytest.fail(f"the harness did not start:\n{log_tail(log_path)}", pytrace=False)
        yield Harness(origin=json.loads(ready)["origin"], process=process, log_path=log_path)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="session")
def e2e_database_url() -> Iterator[str]:
    """A migrated database of the end-to-end tests' own, dropped at the end."""
    with postgres_server() as server_url:
        if not can_create_databases(server_url):
            # TEST_DATABASE_URL with a role that may not create databases: use that one.
            upgrade_database(server_url)
            yield server_url
            return
        with temporary_database(server_url) as url:
            upgrade_database(url)
            yield url


@dataclass(frozen=True, slots=True)
class ServedApp:
    url: str
    log_path: Path

    def log(self) -> str:
        return log_tail(self.log_path)


@contextmanager
def served_app(*, database_url: str, origin: str, directory: Path) -> Iterator[ServedApp]:
    """``python -m todo_bootstrap`` on a free port, trusting the Better Auth at ``origin``.

    Better Auth's jwt plugin signs with ``iss`` and ``aud`` set to its
    ``baseURL`` when not told otherwise, and serves its keys at
    ``<baseURL>/api/auth/jwks``; the page calls from that origin. No shared
    secret: tokens are verified by the JWKS alone. The server runs in
    ``directory``, so a developer's ``.env`` is not read.
    """
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k.upper() not in SERVICE_SETTINGS}
    environment |= {
        "DATABASE_URL": database_url,
        "JWKS_URL": f"{origin}/api/auth/jwks",
        "JWT_ISSUER": origin,
        "JWT_AUDIENCE": origin,
        "CORS_ORIGINS": origin,
        "LOG_LEVEL": "INFO",
    }
    log_path = directory / f"app-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "todo_bootstrap", "--host", "127.0.0.1", "--port", str(port)],
            cwd=directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not answers_health(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{log_tail(log_path)}", pytrace=False)
            time.sleep(0.1)
        yield ServedApp(url=f"http://127.0.0.1:{port}", log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
