"""ETag, If-None-Match (304) and If-Match (412), API.md "Conditional writes"."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.unit.http.support import TestClient, bearer

ALICE = bearer("alice")


def _create(client: TestClient, tasks_url: str) -> dict[str, Any]:
    response = client.post(tasks_url, json={"title": "t"}, headers=ALICE)
    return dict(response.json())


def _bump(client: TestClient, tasks_url: str, task: dict[str, Any]) -> None:
    response = client.patch(f"{tasks_url}/{task['id']}", json={"title": "v2"}, headers=ALICE)
    assert response.headers["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', '"7", "1"', "*", 'W/"1"', ' "1" '])
def test_a_matching_if_none_match_is_304_with_the_etag_and_no_body(
    client: TestClient, tasks_url: str, header: str
) -> None:
    task = _create(client, tasks_url)

    response = client.get(f"{tasks_url}/{task['id']}", headers={**ALICE, "If-None-Match": header})

    assert response.status_code == 304
    assert response.headers["ETag"] == '"1"'
    assert response.content == b""


@pytest.mark.parametrize("header", ['"2"', '"7", "8"', "", "garbage"])
def test_an_if_none_match_that_does_not_match_gets_the_task(
    client: TestClient, tasks_url: str, header: str
) -> None:
    task = _create(client, tasks_url)

    response = client.get(f"{tasks_url}/{task['id']}", headers={**ALICE, "If-None-Match": header})

    assert response.status_code == 200
    assert response.json() == task


@pytest.mark.parametrize("header", ['"2"', '"1", "2", "3"', "*", ""])
def test_a_write_with_a_matching_if_match_goes_through(
    client: TestClient, tasks_url: str, header: str
) -> None:
    task = _create(client, tasks_url)
    _bump(client, tasks_url, task)

    response = client.patch(
        f"{tasks_url}/{task['id']}", json={"title": "v3"}, headers={**ALICE, "If-Match": header}
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"3"'


@pytest.mark.parametrize("header", ['"1"', '"1", "3"', 'W/"2"', "2", '"02"', '"abc"'])
def test_a_write_with_a_stale_or_weak_if_match_is_412_and_changes_nothing(
    client: TestClient, tasks_url: str, header: str
) -> None:
    task = _create(client, tasks_url)
    _bump(client, tasks_url, task)
    url = f"{tasks_url}/{task['id']}"
    before = client.get(url, headers=ALICE).json()

    responses = [
        client.put(url, json={"title": "lost"}, headers={**ALICE, "If-Match": header}),
        client.patch(url, json={"title": "lost"}, headers={**ALICE, "If-Match": header}),
        client.patch(f"{url}/complete", headers={**ALICE, "If-Match": header}),
        client.delete(url, headers={**ALICE, "If-Match": header}),
    ]

    assert [r.status_code for r in responses] == [412, 412, 412, 412]
    assert {r.json()["detail"] for r in responses} == {"Task was modified by another request"}
    assert client.get(url, headers=ALICE).json() == before


def test_complete_and_delete_honour_a_matching_if_match(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url)
    url = f"{tasks_url}/{task['id']}"

    completed = client.patch(f"{url}/complete", headers={**ALICE, "If-Match": '"1"'})
    deleted = client.delete(url, headers={**ALICE, "If-Match": '"2"'})

    assert completed.status_code == 200
    assert deleted.status_code == 204


@pytest.mark.parametrize("header", ["*", '"1"', '"1", "2"'])
def test_if_match_on_a_missing_task_is_404(client: TestClient, tasks_url: str, header: str) -> None:
    url = f"{tasks_url}/{uuid.uuid4()}"

    response = client.patch(url, json={"title": "x"}, headers={**ALICE, "If-Match": header})

    assert response.status_code == 404


def test_the_etag_follows_the_version_and_a_write_that_changes_nothing_keeps_it(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url)
    url = f"{tasks_url}/{task['id']}"

    same = client.patch(url, json={"title": "t"}, headers=ALICE)
    changed = client.patch(url, json={"priority": "high"}, headers=ALICE)

    assert same.headers["ETag"] == '"1"'
    assert changed.headers["ETag"] == '"2"'
    assert client.get(url, headers=ALICE).headers["ETag"] == '"2"'
