"""API.md section 2: every authentication row, on both route shapes."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from jose import jwt

from tests.unit.http.support import OTHER_SECRET, SECRET, TestClient, bearer
from todo_core.errors import InvalidToken
from todo_http.auth import verify_token

NOT_AUTHENTICATED = "Not authenticated"
INVALID_TOKEN = "Invalid or expired token"
INVALID_PAYLOAD = "Invalid token payload"


def _token(claims: dict[str, object], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def _valid_claims(**claims: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "alice", "iat": now, "exp": now + 600, **claims}


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, NOT_AUTHENTICATED),
        ("Basic YWxpY2U6c2VjcmV0", NOT_AUTHENTICATED),
        ("Bearer", NOT_AUTHENTICATED),
        ("Bearer    ", NOT_AUTHENTICATED),
        ("Token abc.def.ghi", NOT_AUTHENTICATED),
        ("Bearer not-a-jwt", INVALID_TOKEN),
        ("Bearer abc.def", INVALID_TOKEN),
        (f"Bearer {_token(_valid_claims())} trailing", INVALID_TOKEN),
        (f"Bearer {_token(_valid_claims(), OTHER_SECRET)}", INVALID_TOKEN),
        (f"Bearer {_token(_valid_claims(exp=int(time.time()) - 3600))}", INVALID_TOKEN),
        (f"Bearer {_token({'sub': 'alice'})}", INVALID_TOKEN),
        (f"Bearer {_token(_valid_claims(nbf=int(time.time()) + 3600))}", INVALID_TOKEN),
        (f"Bearer {_token(_valid_claims(iat='yesterday'))}", INVALID_TOKEN),
        (f"Bearer {'a' * 9000}.{'b' * 10}.{'c' * 10}", INVALID_TOKEN),
        (
            f"Bearer {_token({k: v for k, v in _valid_claims().items() if k != 'sub'})}",
            INVALID_PAYLOAD,
        ),
        (f"Bearer {_token(_valid_claims(sub=''))}", INVALID_PAYLOAD),
        (f"Bearer {_token(_valid_claims(sub=42))}", INVALID_PAYLOAD),
        (f"Bearer {_token(_valid_claims(sub='x' * 256))}", INVALID_PAYLOAD),
    ],
    ids=[
        "no header",
        "another scheme",
        "bearer without token",
        "bearer with only spaces",
        "unknown scheme",
        "not a jwt",
        "two segments",
        "text after the token",
        "wrong secret",
        "expired",
        "no exp",
        "not yet valid",
        "iat not a number",
        "over 8 KiB",
        "no sub",
        "empty sub",
        "sub not a string",
        "sub over 255 characters",
    ],
)
def test_every_unusable_credential_is_a_401_with_its_message_and_www_authenticate(
    client: TestClient, tasks_url: str, authorization: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get(tasks_url, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_within_the_leeway_is_still_accepted(client: TestClient) -> None:
    token = _token(_valid_claims(exp=int(time.time()) - 5))

    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_the_scheme_name_is_case_insensitive(
    client: TestClient, tasks_url: str, scheme: str
) -> None:
    token = bearer("alice")["Authorization"].split(" ", 1)[1]

    response = client.get(tasks_url, headers={"Authorization": f"{scheme} {token}"})

    assert response.status_code == 200


def test_a_path_user_id_other_than_the_token_subject_is_403(client: TestClient) -> None:
    response = client.get("/api/bob/tasks", headers=bearer("alice"))

    assert response.status_code == 403
    assert response.json() == {"detail": "Not authorized to access this resource"}


def test_the_path_user_id_is_compared_case_sensitively(client: TestClient) -> None:
    response = client.get("/api/Alice/tasks", headers=bearer("alice"))

    assert response.status_code == 403


def test_a_user_whose_id_is_tasks_uses_the_short_routes(client: TestClient) -> None:
    headers = bearer("tasks")
    created = client.post("/api/tasks", json={"title": "mine"}, headers=headers)

    listed = client.get("/api/tasks", headers=headers)
    short_shape_task = client.get("/api/tasks/tasks", headers=headers)

    assert created.status_code == 201
    assert created.json()["user_id"] == "tasks"
    assert [task["title"] for task in listed.json()] == ["mine"]
    assert short_shape_task.status_code == 422
    assert short_shape_task.json()["detail"][0]["loc"] == ["path", "task_id"]


def test_a_user_id_with_reserved_characters_works_in_the_long_shape(client: TestClient) -> None:
    headers = bearer("user 2x9@example.com")

    created = client.post("/api/user%202x9@example.com/tasks", json={"title": "x"}, headers=headers)

    assert created.status_code == 201
    assert created.headers["Location"].startswith("/api/user%202x9%40example.com/tasks/")
    assert client.get(created.headers["Location"], headers=headers).status_code == 200


def test_health_routes_need_no_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code == 200


class _RecordingVerifier:
    def __init__(self) -> None:
        self.threads: list[int] = []

    def user_id_from_header(self, authorization: str | None) -> str:
        self.threads.append(threading.get_ident())
        if authorization is None:
            raise InvalidToken()
        return "alice"


def test_verification_that_may_block_runs_off_the_event_loop_thread() -> None:
    verifier = _RecordingVerifier()

    async def scenario() -> int:
        await verify_token(verifier, "Bearer x", may_block=True)
        await verify_token(verifier, "Bearer x", may_block=False)
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())

    offloaded, inline = verifier.threads
    assert offloaded != loop_thread
    assert inline == loop_thread
