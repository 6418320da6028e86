"""API.md "Listing": filters, sort, aliases, empty values, offset and cursor pages, headers."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.clock import FakeClock
from tests.unit.http.support import TestClient, bearer

ALICE = bearer("alice")
LINK = re.compile(r'<(?P<url>[^>]+)>; rel="next"')


@pytest.fixture
def ticking(fake_clock: FakeClock) -> FakeClock:
    """Every call of the clock is one second later, so creation order is sort order."""
    fake_clock.step = timedelta(seconds=1)
    return fake_clock


def _create(client: TestClient, title: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json={"title": title, **fields}, headers=ALICE)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _titles(client: TestClient, url: str, params: Any = None) -> list[str]:
    response = client.get(url, params=params, headers=ALICE)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


def _errors(client: TestClient, params: Any) -> list[list[str]]:
    response = client.get("/api/tasks", params=params, headers=ALICE)
    assert response.status_code == 422, response.text
    return [item["loc"] for item in response.json()["detail"]]


def _next(response: Any) -> str | None:
    match = LINK.fullmatch(response.headers.get("Link", ""))
    return match["url"] if match else None


@pytest.fixture
def board(client: TestClient, ticking: FakeClock) -> None:
    """a: pending/low, b: in_progress/high, c: completed/medium, d: pending/high."""
    _create(client, "a", priority="low", due_date="2026-01-01")
    _create(client, "b", status="in_progress", priority="high", due_date="2026-02-01")
    _create(client, "c", completed=True, description="Has 100% of it", due_date="2026-03-01")
    _create(client, "d", priority="high")


@pytest.mark.usefixtures("board")
@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({}, ["d", "c", "b", "a"]),
        ({"status": "pending"}, ["d", "a"]),
        ([("status", "pending"), ("status", "completed")], ["d", "c", "a"]),
        ({"status": "pending,in_progress"}, ["d", "b", "a"]),
        ({"status": "pending,all"}, ["d", "c", "b", "a"]),
        ({"priority": "high"}, ["d", "b"]),
        ([("priority", "low"), ("priority", "medium")], ["c", "a"]),
        ({"completed": "true"}, ["c"]),
        ({"completed": "false"}, ["d", "b", "a"]),
        ({"search": "100%"}, ["c"]),
        ({"q": "B"}, ["b"]),
        ({"search": "_"}, []),
        ({"search": "a", "q": "zzz"}, ["c", "a"]),
        ({"due_after": "2026-02-01"}, ["c", "b"]),
        ({"due_before": "2026-02-01"}, ["a"]),
        ({"due_after": "2026-01-01", "due_before": "2026-03-01"}, ["b", "a"]),
        ({"overdue": "true"}, ["b", "a"]),
        ({"overdue": "false"}, ["d", "c"]),
        ({"sort": "title"}, ["a", "b", "c", "d"]),
        ({"sort_by": "-title"}, ["d", "c", "b", "a"]),
        ({"sort": "-title", "order": "asc"}, ["d", "c", "b", "a"]),
        ({"sort": "title", "sort_order": "desc"}, ["d", "c", "b", "a"]),
        ({"order": "asc"}, ["a", "b", "c", "d"]),
        ({"sort": "status", "status": "in_progress,completed"}, ["b", "c"]),
        ({"sort": "-status", "priority": "low,medium"}, ["c", "a"]),
        ({"sort": "due_date"}, ["a", "b", "c", "d"]),
        ({"sort": "due_date", "order": "desc"}, ["c", "b", "a", "d"]),
        (
            {"status": "", "priority": "", "search": "", "limit": "", "sort": "", "offset": ""},
            ["d", "c", "b", "a"],
        ),
    ],
)
def test_filters_and_sorts_select_and_order_the_tasks(
    client: TestClient, tasks_url: str, params: Any, titles: list[str]
) -> None:
    assert _titles(client, tasks_url, params) == titles


@pytest.mark.parametrize(
    ("params", "locs"),
    [
        ({"status": "done"}, [["query", "status"]]),
        ({"status": "pending,done,all"}, [["query", "status"]]),
        ({"priority": "urgent"}, [["query", "priority"]]),
        ({"completed": "maybe"}, [["query", "completed"]]),
        ({"overdue": "2"}, [["query", "overdue"]]),
        ({"sort": "colour"}, [["query", "sort"]]),
        ({"sort_by": "-"}, [["query", "sort_by"]]),
        ({"order": "up"}, [["query", "order"]]),
        ({"sort_order": "sideways"}, [["query", "sort_order"]]),
        ({"limit": "0"}, [["query", "limit"]]),
        ({"limit": "101"}, [["query", "limit"]]),
        ({"limit": "ten"}, [["query", "limit"]]),
        ({"limit": "1e400"}, [["query", "limit"]]),
        ({"offset": "-1"}, [["query", "offset"]]),
        ({"offset": "1.5"}, [["query", "offset"]]),
        ({"offset": "9" * 40}, [["query", "offset"]]),
        ({"search": "a\x00b"}, [["query", "search"]]),
        ({"cursor": "not-a-cursor"}, [["query", "cursor"]]),
        ({"cursor": "x", "offset": "0"}, [["query", "cursor"]]),
        (
            {"status": "x", "limit": "0", "sort": "y"},
            [["query", "status"], ["query", "sort"], ["query", "limit"]],
        ),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(
    client: TestClient, params: dict[str, str], locs: list[list[str]]
) -> None:
    assert _errors(client, params) == locs


@pytest.mark.usefixtures("board")
def test_priority_sorts_by_meaning_and_ties_by_id_in_the_same_direction(
    client: TestClient, tasks_url: str
) -> None:
    response = client.get(tasks_url, params={"sort": "priority"}, headers=ALICE)

    tasks = response.json()
    assert [task["priority"] for task in tasks] == ["high", "high", "medium", "low"]
    assert tasks[0]["id"] > tasks[1]["id"]


def test_the_default_page_is_50_tasks_and_the_total_counts_all(
    client: TestClient, tasks_url: str
) -> None:
    for index in range(55):
        _create(client, f"t{index}")

    response = client.get(tasks_url, headers=ALICE)

    assert len(response.json()) == 50
    assert response.headers["X-Total-Count"] == "55"
    assert _next(response) is not None


def _walk(client: TestClient, url: str) -> Iterator[Any]:
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url, headers=ALICE)
        assert response.status_code == 200, response.text
        yield response
        next_url = _next(response)


def test_following_the_link_visits_every_task_once_in_order(
    client: TestClient, tasks_url: str, ticking: FakeClock
) -> None:
    for index in range(7):
        _create(client, f"t{index}", priority="high" if index % 2 else "low")

    whole = client.get(f"{tasks_url}?sort=priority&status=pending&limit=100", headers=ALICE)

    pages = list(_walk(client, f"{tasks_url}?sort=priority&status=pending&limit=3"))

    assert [len(page.json()) for page in pages] == [3, 3, 1]
    assert [task for page in pages for task in page.json()] == whole.json()
    assert {page.headers["X-Total-Count"] for page in pages} == {"7"}
    for page in pages[:-1]:
        link = urlsplit(_next(page) or "")
        query = parse_qs(link.query)
        assert link.path == tasks_url
        assert not link.scheme
        assert not link.netloc
        assert (query["sort"], query["status"], query["limit"]) == (
            ["priority"],
            ["pending"],
            ["3"],
        )
        assert "offset" not in query


def test_there_is_no_link_after_an_exactly_full_last_page(
    client: TestClient, tasks_url: str
) -> None:
    for index in range(6):
        _create(client, f"t{index}")

    pages = list(_walk(client, f"{tasks_url}?limit=3"))

    assert [len(page.json()) for page in pages] == [3, 3]


def test_an_offset_page_links_to_the_rest_by_cursor(
    client: TestClient, tasks_url: str, ticking: FakeClock
) -> None:
    for index in range(7):
        _create(client, f"t{index}")

    pages = list(_walk(client, f"{tasks_url}?order=asc&offset=2&limit=3"))

    assert [[t["title"] for t in page.json()] for page in pages] == [
        ["t2", "t3", "t4"],
        ["t5", "t6"],
    ]
    assert "offset" not in parse_qs(urlsplit(_next(pages[0]) or "").query)


def test_only_the_limit_may_change_between_cursor_pages(client: TestClient, tasks_url: str) -> None:
    for index in range(5):
        _create(client, f"t{index}")
    first = client.get(f"{tasks_url}?limit=2&sort=title", headers=ALICE)
    cursor = parse_qs(urlsplit(_next(first) or "").query)["cursor"][0]

    bigger = client.get(
        tasks_url, params={"sort": "title", "limit": 10, "cursor": cursor}, headers=ALICE
    )
    other_sort = client.get(tasks_url, params={"sort": "-title", "cursor": cursor}, headers=ALICE)
    other_user = client.get(
        "/api/tasks", params={"sort": "title", "cursor": cursor}, headers=bearer("bob")
    )

    assert [t["title"] for t in bigger.json()] == ["t2", "t3", "t4"]
    assert other_sort.status_code == 422
    assert other_user.status_code == 422
    assert other_user.json()["detail"][0]["loc"] == ["query", "cursor"]


def _crafted_cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("payload", ['["x", null, 123]', "[" * 5000 + "]" * 5000])
def test_a_crafted_cursor_is_a_422_never_a_500(client: TestClient, payload: str) -> None:
    response = client.get("/api/tasks", params={"cursor": _crafted_cursor(payload)}, headers=ALICE)

    assert response.status_code == 422
