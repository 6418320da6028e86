"""A real browser, a real Better Auth, the real service: the frontend as it really is.

The page (``harness/page/main.ts``, bundled with the typed client of
``clients/typescript``) runs in headless Chromium on http://localhost:3000,
signs users up and in with Better Auth's client, gets their JWTs from
``/api/auth/token`` (signed by the jwt plugin, with its key set at
``/api/auth/jwks``), and calls the service on another origin, so every call
goes through CORS as a deployed frontend's would. The tests read what the
page wrote and fail on any difference, uncaught error, failed request, or
console error other than the error statuses the page asked for on purpose.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, served_app

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
#: What Chromium logs for every response with an error status, wanted or not.
ERROR_STATUS_LOGGED = re.compile(
    r"Failed to load resource: the server responded with a status of (\d{3})\b.*"
)


class Matches:
    """Equal to any string that fully matches ``pattern`` (inside expected dicts)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern.pattern)

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"


def unexpected_console_errors(outcome: dict[str, Any]) -> list[dict[str, str]]:
    """Console errors, less one "status N" line per response the page failed on purpose."""
    allowed = Counter((f["url"], f["status"]) for f in outcome.get("expectedFailures", []))
    unexpected = []
    for error in outcome.get("consoleErrors", []):
        logged = ERROR_STATUS_LOGGED.fullmatch(error["text"])
        key = (error["url"], int(logged.group(1))) if logged else None
        if key is not None and allowed[key] > 0:
            allowed[key] -= 1
        else:
            unexpected.append(error)
    return unexpected


def results_of(outcome: dict[str, Any], *logs: str) -> dict[str, Any]:
    """The page's results, after checking that the browser saw nothing go wrong."""
    context = "\n\n".join(logs)
    assert "error" not in outcome, f"{outcome['error']}\n{outcome}\n\n{context}"
    assert outcome["pageErrors"] == [], context
    assert outcome["failedRequests"] == [], context
    assert unexpected_console_errors(outcome) == [], context
    results: dict[str, Any] = outcome["results"]
    return results


def test_the_page_type_checks_against_the_generated_client_types(
    harness_packages: Path, typescript_client: Path
) -> None:
    done = subprocess.run(
        [str(typescript_client / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", "."],
        cwd=harness_packages,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_a_page_signed_in_with_better_auth_manages_its_tasks_on_the_service(
    algorithm: str, harness: Harness, e2e_database_url: str, tmp_path: Path
) -> None:
    harness.use(algorithm)  # Better Auth's jwt plugin with jwks.keyPairConfig.alg = algorithm

    with served_app(
        database_url=e2e_database_url, origin=harness.origin, directory=tmp_path
    ) as app:
        outcome = harness.run("tasks", api=app.url)
        app_log = app.log()

    results = results_of(outcome, harness.log(), app_log)
    user = results["user"]
    owner = re.escape(user)
    assert results == {
        "user": user,
        "token": {
            "alg": algorithm,
            "kid": Matches(r".+"),
            "sub": user,
            "iss": harness.origin,
            "aud": harness.origin,
            "hasExp": True,
        },
        "created": [
            {
                "status": 201,
                "etag": '"1"',
                "location": Matches(rf"/api/{owner}/tasks/{UUID}"),
                "owner": user,
                "version": 1,
            }
        ]
        * 3,
        "list": {
            "status": 200,
            "total": 3,
            "titles": ["Write the report", "Call the bank"],
            "next": Matches(rf"/api/{owner}/tasks\?(.*&)?cursor=[^&]+(&.*)?"),
            "nextStatus": 200,
            "nextTotal": 3,
            "nextTitles": ["Book the train"],
            "nextOfNext": None,
        },
        "read": {"status": 200, "etag": '"1"', "title": "Write the report"},
        "readIfNoneMatch": {"status": 304, "etag": '"1"'},
        "update": {
            "status": 200,
            "etag": '"2"',
            "title": "Write the annual report",
            "description": "Numbers first",
            "version": 2,
        },
        "staleUpdate": {"status": 412, "detail": "Task was modified by another request"},
        "toggle": {
            "status": 200,
            "etag": '"3"',
            "completed": True,
            "taskStatus": "completed",
            "completedAtSet": True,
        },
        "delete": {"status": 204},
        "readDeleted": {"status": 404, "detail": "Task not found"},
        "stats": {"status": 200, "total": 2, "completed": 1},
        "secondUser": {
            "differentUser": True,
            "tokenSubIsUser": True,
            "alicePath": {"status": 403, "detail": "Not authorized to access this resource"},
            "aliceTask": {"status": 404, "detail": "Task not found"},
            "ownList": {"status": 200, "total": 0},
        },
        "signIn": {"signedIn": True, "tokenSubIsUser": True, "status": 200, "total": 2},
    }


def test_after_better_auth_rotates_its_key_the_running_service_fetches_the_new_one(
    harness: Harness, e2e_database_url: str, tmp_path: Path
) -> None:
    # Better Auth's jwks.rotationInterval expires the signing key after a few seconds; its next
    # token is signed with a new key, and the old one stays published (jwks.gracePeriod).
    # The service fetches the key set again on an unknown kid at most once per 30 s, its first
    # fetch included. The test waits instead of restarting the service: the page retries the
    # new token every second until it is accepted, about 30 s after the token's first use, so it
    # is the running service that picks up the rotated key (its log shows the second fetch).
    harness.use("EdDSA-rotating")

    with served_app(
        database_url=e2e_database_url, origin=harness.origin, directory=tmp_path
    ) as app:
        outcome = harness.run("rotation", api=app.url, timeout_seconds=120)
        app_log = app.log()

    results = results_of(outcome, harness.log(), app_log)
    before, after = results["tokenBefore"], results["tokenAfter"]
    statuses = results["newToken"]["statuses"]
    assert (before["alg"], after["alg"]) == ("EdDSA", "EdDSA")
    assert before["sub"] == after["sub"] == results["user"]
    assert after["kid"] != before["kid"]
    assert {before["kid"], after["kid"]} <= set(results["publishedKids"])
    assert results["firstUse"] == {"status": 200}
    assert results["oldTokenAfterRotation"] == {"status": 200}
    assert statuses[-1] == 200
    assert set(statuses[:-1]) <= {401}
    assert results["newToken"]["acceptedAfterSeconds"] >= 29  # not before the 30 s limit
    assert results["oldTokenAfterRefetch"] == {"status": 200}
    assert re.findall(r"JWKS from \S+: (\d+) usable key", app_log) == ["1", "2"], app_log
