"""The TypeScript client in ``clients/typescript``: current with the API, and type-checked.

Its generated files (``openapi.json`` and ``src/schema.d.ts``) are committed so
that frontends can use them without running the service; these tests
regenerate them from the app and fail on any difference, so a route changed
without ``make client`` cannot land. ``example.ts`` calls every operation, and
``tsc --noEmit`` checks it against the generated types.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.node import CLIENT_DIR, ROOT

GENERATOR = ROOT / "scripts" / "typescript_client.py"
GENERATED = (Path("openapi.json"), Path("src") / "schema.d.ts")


def _difference(committed: Path, fresh: Path) -> str:
    before = committed.read_text(encoding="utf-8").splitlines(keepends=True)
    after = fresh.read_text(encoding="utf-8").splitlines(keepends=True)
    diff = difflib.unified_diff(before, after, f"committed {committed.name}", "regenerated")
    return "".join(list(diff)[:80])


def test_the_committed_client_files_are_what_the_app_generates_now(
    typescript_client: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    drifted = {
        str(name): _difference(typescript_client / name, tmp_path / name)
        for name in GENERATED
        if (typescript_client / name).read_bytes() != (tmp_path / name).read_bytes()
    }

    assert not drifted, (
        "clients/typescript is out of date with the API: run `make client` and commit the "
        "result.\n" + "\n".join(drifted.values())
    )


def test_the_example_type_checks_against_the_generated_types(typescript_client: Path) -> None:
    done = subprocess.run(
        [str(typescript_client / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", "."],
        cwd=typescript_client,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_example_calls_every_operation_of_the_api() -> None:
    document = json.loads((CLIENT_DIR / "openapi.json").read_text(encoding="utf-8"))
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    example = (CLIENT_DIR / "example.ts").read_text(encoding="utf-8")

    called = set(re.findall(r"\bapi\.(GET|PUT|POST|DELETE|PATCH)\(\s*\"([^\"]+)\"", example))

    assert operations - called == set()
    assert len(operations) >= 18
