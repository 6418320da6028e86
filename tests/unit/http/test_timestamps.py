"""API.md section 1: timestamp input (any offset, none, no seconds, bare date) and output."""

from __future__ import annotations

import re

import pytest

from tests.support.clock import FakeClock
from tests.unit.http.support import TestClient, bearer

ALICE = bearer("alice")
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-12-01T10:00:00+02:00", "2026-12-01T08:00:00.000000Z"),
        ("2026-12-01T10:00:00-05:30", "2026-12-01T15:30:00.000000Z"),
        ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00.000000Z"),
        ("2026-12-01T10:00:00.123456Z", "2026-12-01T10:00:00.123456Z"),
        ("2026-12-01T10:00:00.5+01:00", "2026-12-01T09:00:00.500000Z"),
        ("2026-12-01T10:00:00", "2026-12-01T10:00:00.000000Z"),
        ("2026-12-01T10:00", "2026-12-01T10:00:00.000000Z"),
        ("2026-12-01t10:00z", "2026-12-01T10:00:00.000000Z"),
        ("2026-12-01", "2026-12-01T00:00:00.000000Z"),
        ("0196-01-22", "0196-01-22T00:00:00.000000Z"),
        ("0001-01-01T00:30:00-01:00", "0001-01-01T01:30:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_a_due_date_is_read_in_any_accepted_form_and_returned_in_utc(
    client: TestClient, sent: str, stored: str
) -> None:
    response = client.post("/api/tasks", json={"title": "t", "due_date": sent}, headers=ALICE)

    assert response.status_code == 201
    assert response.json()["due_date"] == stored


@pytest.mark.parametrize(
    "sent",
    [
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:30:00-01:00",
        "0000-01-01",
        "2026-02-30",
        "2026-12-01T24:00:00Z",
        "2026-12-01T10:00:00+25:00",
        "2026-12-01T10:00:00.1234567Z",
        "01/12/2026",
        " ",
    ],
)
def test_an_unusable_timestamp_is_a_422_naming_the_field(client: TestClient, sent: str) -> None:
    response = client.patch(
        "/api/tasks/00000000-0000-4000-8000-000000000000", json={"due_date": sent}, headers=ALICE
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "due_date"]]


def test_every_timestamp_is_rfc3339_utc_with_microseconds(
    client: TestClient, fake_clock: FakeClock
) -> None:
    response = client.post(
        "/api/tasks",
        json={"title": "t", "completed": True, "due_date": "2026-12-01"},
        headers=ALICE,
    )

    task = response.json()
    for field in ("due_date", "completed_at", "created_at", "updated_at"):
        assert RFC3339_UTC.fullmatch(task[field]), field
    assert task["created_at"] == "2026-03-14T15:09:26.535897Z"


def test_a_returned_timestamp_is_accepted_back_unchanged(client: TestClient) -> None:
    created = client.post(
        "/api/tasks", json={"title": "t", "due_date": "0196-01-22T03:04:05.000006Z"}, headers=ALICE
    ).json()

    again = client.put(f"/api/tasks/{created['id']}", json=created, headers=ALICE)

    assert again.status_code == 200
    assert again.json() == created


@pytest.mark.parametrize("param", ["due_after", "due_before"])
def test_a_bad_timestamp_in_the_query_is_a_422_naming_the_parameter(
    client: TestClient, param: str
) -> None:
    response = client.get("/api/tasks", params={param: "0000-01-01T00:00:00Z"}, headers=ALICE)

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["query", param], "msg": "Invalid timestamp", "type": "datetime_parsing"}
    ]
