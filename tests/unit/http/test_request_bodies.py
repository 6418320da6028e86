"""API.md section 5: body size (413), content type (415) and the shape of every 422."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from tests.unit.http.support import TestClient, bearer, make_http_settings, memory_container, serve
from todo_adapters.memory import InMemoryStore
from todo_http.app import create_app

ALICE = bearer("alice")
JSON = {**ALICE, "Content-Type": "application/json"}
LIMIT = 1024


@pytest.fixture
def small_client() -> Iterator[TestClient]:
    """An app whose body limit is 1 KiB."""
    container = memory_container(InMemoryStore())
    with serve(container, http_settings=make_http_settings(max_body_bytes=LIMIT)) as client:
        yield client


def _body_of(size: int) -> bytes:
    prefix, suffix = b'{"title": "t", "description": "', b'"}'
    return prefix + b"d" * (size - len(prefix) - len(suffix)) + suffix


def _chunks(body: bytes, size: int = 100) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_body_at_the_limit_is_accepted(small_client: TestClient) -> None:
    response = small_client.post("/api/tasks", content=_body_of(LIMIT), headers=JSON)

    assert response.status_code == 201


def test_a_body_over_the_limit_is_413(small_client: TestClient) -> None:
    response = small_client.post("/api/tasks", content=_body_of(LIMIT + 1), headers=JSON)

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}


def test_a_chunked_body_over_the_limit_is_413(small_client: TestClient) -> None:
    response = small_client.post("/api/tasks", content=_chunks(_body_of(LIMIT * 20)), headers=JSON)

    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}


def test_the_limit_stops_reading_a_body_without_content_length_early() -> None:
    container = memory_container(InMemoryStore())
    app = create_app(container, http_settings=make_http_settings(max_body_bytes=LIMIT))
    chunks = list(_chunks(_body_of(LIMIT * 20)))
    received: list[int] = []
    sent: list[MutableMapping[str, Any]] = []
    headers = [
        (b"authorization", ALICE["Authorization"].encode()),
        (b"content-type", b"application/json"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/tasks",
        "raw_path": b"/api/tasks",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }

    async def receive() -> MutableMapping[str, Any]:
        index = len(received)
        received.append(index)
        return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))

    assert sent[0]["status"] == 413
    assert len(received) < len(chunks) / 2


def test_a_chunked_body_under_the_limit_is_read_whole(small_client: TestClient) -> None:
    response = small_client.post("/api/tasks", content=_chunks(_body_of(LIMIT)), headers=JSON)

    assert response.status_code == 201


def test_the_default_limit_is_64_kib(client: TestClient) -> None:
    at_limit = client.post("/api/tasks", content=_body_of(65536), headers=JSON)
    over = client.post("/api/tasks", content=_body_of(65537), headers=JSON)

    assert at_limit.status_code == 422  # the description is over 2000 characters: read, then judged
    assert over.status_code == 413


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_a_body_that_is_not_declared_json_is_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = dict(ALICE)
    if content_type is not None:
        headers["Content-Type"] = content_type

    response = client.post("/api/tasks", content=b'{"title": "t"}', headers=headers)

    assert response.status_code == 415
    assert response.json() == {"detail": "Content-Type must be application/json"}


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_with_parameters_and_any_letter_case_is_accepted(
    client: TestClient, content_type: str
) -> None:
    response = client.post(
        "/api/tasks", content=b'{"title": "t"}', headers={**ALICE, "Content-Type": content_type}
    )

    assert response.status_code == 201


def test_completing_without_a_body_needs_no_content_type(client: TestClient) -> None:
    task = client.post("/api/tasks", json={"title": "t"}, headers=ALICE).json()

    response = client.patch(f"/api/tasks/{task['id']}/complete", headers=ALICE)

    assert response.status_code == 200


def test_a_body_sent_with_get_is_ignored(client: TestClient) -> None:
    response = client.request(
        "GET", "/api/tasks", content=b"not json", headers={**ALICE, "Content-Type": "text/plain"}
    )

    assert response.status_code == 200


def _post(client: TestClient, raw: bytes) -> Any:
    response = client.post("/api/tasks", content=raw, headers=JSON)
    assert response.status_code == 422, response.text
    return response


@pytest.mark.parametrize(
    ("raw", "loc", "kind"),
    [
        (b"{not json", ["body"], "json_invalid"),
        (b"", ["body"], "missing"),
        (b"[]", ["body"], "dict_type"),
        (b'[{"title": "t"}]', ["body"], "dict_type"),
        (b'"title"', ["body"], "dict_type"),
        (b"null", ["body"], "dict_type"),
        (b'{"title": 1e400}', ["body", "title"], "string_type"),
        (b'{"title": "t", "completed": 1e400}', ["body", "completed"], "bool_type"),
        (b'{"title": "\\ud800"}', ["body"], "json_invalid"),
        (b'{"title": "a\\u0000b"}', ["body", "title"], "value_error"),
        (b'{"title": "t", "description": "a\\u0000b"}', ["body", "description"], "value_error"),
        (b'{"title": "   "}', ["body", "title"], "string_too_short"),
        (b'{"title": null}', ["body", "title"], "string_type"),
        (b'{"description": "d"}', ["body", "title"], "missing"),
        (b'{"title": "t", "status": null}', ["body", "status"], "enum"),
        (b'{"title": "t", "status": "done"}', ["body", "status"], "enum"),
        (b'{"title": "t", "priority": "urgent"}', ["body", "priority"], "enum"),
        (b'{"title": "t", "completed": "yes"}', ["body", "completed"], "bool_type"),
        (b'{"title": "t", "due_date": "tomorrow"}', ["body", "due_date"], "datetime_parsing"),
        (b'{"title": "t", "due_date": 1700000000}', ["body", "due_date"], "datetime_type"),
    ],
    ids=[
        "invalid json",
        "no body",
        "empty array",
        "array of objects",
        "a string",
        "null",
        "1e400 title",
        "1e400 boolean",
        "lone surrogate",
        "nul in title",
        "nul in description",
        "blank title",
        "null title",
        "missing title",
        "null status",
        "unknown status",
        "unknown priority",
        "string boolean",
        "bad timestamp",
        "numeric timestamp",
    ],
)
def test_bad_input_is_one_422_item_per_field_with_loc_msg_and_type_only(
    client: TestClient, raw: bytes, loc: list[str], kind: str
) -> None:
    response = _post(client, raw)

    [item] = response.json()["detail"]
    assert set(item) == {"loc", "msg", "type"}
    assert (item["loc"], item["type"]) == (loc, kind)
    assert isinstance(item["msg"], str)
    assert item["msg"]


def test_every_bad_field_is_reported_at_once(client: TestClient) -> None:
    raw = b'{"title": "", "description": "x\\u0000", "priority": "p", "due_date": "x"}'

    response = _post(client, raw)

    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "title"],
        ["body", "description"],
        ["body", "priority"],
        ["body", "due_date"],
    ]


def test_a_422_never_echoes_the_input(client: TestClient) -> None:
    marker = "SECRET-INPUT-MARKER"
    raw = (
        f'{{"title": "{marker}\\u0001", "priority": "{marker}", "due_date": "{marker}",'
        f' "status": "{marker}", "completed": "{marker}"}}'
    ).encode()

    response = _post(client, raw)

    assert marker not in response.text
    assert len(response.json()["detail"]) == 5


def test_titles_are_trimmed_and_limited_after_trimming(client: TestClient) -> None:
    padded = client.post("/api/tasks", json={"title": " " * 50 + "x" * 255 + "\n"}, headers=ALICE)
    too_long = client.post("/api/tasks", json={"title": "x" * 256}, headers=ALICE)
    emoji = client.post("/api/tasks", json={"title": "👩‍👩‍👧 family"}, headers=ALICE)

    assert padded.status_code == 201
    assert padded.json()["title"] == "x" * 255
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["type"] == "string_too_long"
    assert emoji.status_code == 201


def test_descriptions_allow_tabs_and_line_breaks_up_to_2000_characters(client: TestClient) -> None:
    ok = client.post(
        "/api/tasks", json={"title": "t", "description": "a\tb\nc" + "d" * 1995}, headers=ALICE
    )
    too_long = client.post(
        "/api/tasks", json={"title": "t", "description": "d" * 2001}, headers=ALICE
    )

    assert ok.status_code == 201
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "description"]


def test_control_characters_in_a_title_are_refused(client: TestClient) -> None:
    responses = [
        client.post("/api/tasks", json={"title": f"a{char}b"}, headers=ALICE)
        for char in ("\x00", "\x1b", "\x7f", "\x85", "\t")
    ]

    assert {r.status_code for r in responses} == {422}
