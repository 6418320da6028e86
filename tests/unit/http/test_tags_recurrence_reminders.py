"""API.md sections 7-9 over HTTP: tags, recurring tasks and reminders, in both route shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.clock import FakeClock
from tests.unit.http.support import TestClient, bearer

ALICE = bearer("alice")


def _create(client: TestClient, tasks_url: str, **fields: Any) -> dict[str, Any]:
    response = client.post(tasks_url, json={"title": "t", **fields}, headers=ALICE)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _errors(response: Any) -> list[tuple[str, ...]]:
    return [tuple(item["loc"]) for item in response.json()["detail"]]


def test_a_new_task_carries_its_tags_trimmed_without_case_repeats_in_order(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url, tags=["  Work ", "home", "WORK", "🏠"])

    assert task["tags"] == ["Work", "home", "🏠"]
    assert (task["recurrence"], task["next_occurrence_id"], task["remind_at"]) == (None,) * 3


def test_tags_that_break_a_rule_are_a_422_naming_tags(client: TestClient, tasks_url: str) -> None:
    for tags in (["a,b"], [""], ["x" * 51], ["a\x01"], [f"t{n}" for n in range(21)], "work"):
        response = client.post(tasks_url, json={"title": "t", "tags": tags}, headers=ALICE)

        assert response.status_code == 422, tags
        assert _errors(response)[0][:2] == ("body", "tags"), tags


def test_an_update_replaces_the_tags_and_null_clears_them(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url, tags=["a", "b"])
    url = f"{tasks_url}/{task['id']}"

    replaced = client.patch(url, json={"tags": ["c"]}, headers=ALICE).json()
    cleared = client.patch(url, json={"tags": None}, headers=ALICE).json()

    assert (replaced["tags"], replaced["version"]) == (["c"], 2)
    assert (cleared["tags"], cleared["version"]) == ([], 3)


def test_listing_by_tag_matches_any_tag_case_insensitively(
    client: TestClient, tasks_url: str
) -> None:
    work = _create(client, tasks_url, title="w", tags=["Work"])
    home = _create(client, tasks_url, title="h", tags=["home"])
    _create(client, tasks_url, title="none")

    one = client.get(tasks_url, params={"tag": "WORK"}, headers=ALICE)
    either = client.get(tasks_url, params={"tag": "work,HOME"}, headers=ALICE)

    assert [task["id"] for task in one.json()] == [work["id"]]
    assert {task["id"] for task in either.json()} == {work["id"], home["id"]}
    assert either.headers["X-Total-Count"] == "2"


def test_search_does_not_look_at_tags(client: TestClient, tasks_url: str) -> None:
    _create(client, tasks_url, title="report", tags=["errand"])

    assert client.get(tasks_url, params={"search": "errand"}, headers=ALICE).json() == []


def test_the_tags_route_counts_every_tag_spelled_as_its_most_recent_use(
    client: TestClient, tasks_url: str, fake_clock: FakeClock
) -> None:
    _create(client, tasks_url, tags=["work", "home"])
    fake_clock.advance()
    _create(client, tasks_url, tags=["Work"])
    client.post("/api/tasks", json={"title": "b", "tags": ["bob"]}, headers=bearer("bob"))

    tags = client.get(f"{tasks_url}/tags", headers=ALICE)
    stats = client.get(f"{tasks_url}/stats", headers=ALICE)

    assert tags.status_code == 200
    assert tags.json() == [{"name": "home", "count": 1}, {"name": "Work", "count": 2}]
    assert stats.json()["by_tag"] == {"home": 1, "Work": 2}


def test_a_recurring_task_needs_a_due_date_and_an_allowed_rule(
    client: TestClient, tasks_url: str
) -> None:
    cases = [
        {"recurrence": "FREQ=WEEKLY"},
        {"recurrence": "FREQ=HOURLY", "due_date": "2026-12-04"},
        {"recurrence": "FREQ=DAILY;COUNT=2;UNTIL=20271231", "due_date": "2026-12-04"},
        {"recurrence": "FREQ=WEEKLY;BYDAY=1MO", "due_date": "2026-12-04"},
        {"recurrence": "FREQ=DAILY;UNTIL=20261201", "due_date": "2026-12-04"},
        {"recurrence": "RRULE:FREQ=DAILY", "due_date": "2026-12-04"},
    ]
    for fields in cases:
        response = client.post(tasks_url, json={"title": "t", **fields}, headers=ALICE)

        assert response.status_code == 422, fields
        assert ("body", "recurrence") in [loc[:2] for loc in _errors(response)], fields


def test_a_rule_is_returned_in_canonical_form(client: TestClient, tasks_url: str) -> None:
    task = _create(
        client, tasks_url, due_date="2026-12-04", recurrence="byday=fr;freq=weekly;interval=1"
    )

    assert task["recurrence"] == "FREQ=WEEKLY;BYDAY=FR"


def test_completing_a_weekly_task_creates_the_next_one_and_links_it(
    client: TestClient, tasks_url: str, fake_clock: FakeClock
) -> None:
    task = _create(
        client,
        tasks_url,
        title="Weekly review",
        tags=["work"],
        priority="high",
        due_date="2026-12-04T16:00:00Z",
        remind_at="2026-12-04T15:00:00Z",
        recurrence="FREQ=WEEKLY;BYDAY=FR",
    )

    response = client.patch(f"{tasks_url}/{task['id']}/complete", headers=ALICE)

    done = response.json()
    follow = response.headers["Link"]
    assert follow == f'<{tasks_url}/{done["next_occurrence_id"]}>; rel="next-occurrence"'
    following = client.get(follow[1 : follow.index(">")], headers=ALICE).json()
    assert (done["completed"], done["version"]) == (True, 2)
    assert following["title"] == "Weekly review"
    assert (following["status"], following["priority"], following["tags"]) == (
        "pending",
        "high",
        ["work"],
    )
    assert following["due_date"] == "2026-12-11T16:00:00.000000Z"
    assert following["remind_at"] == "2026-12-11T15:00:00.000000Z"
    assert following["recurrence"] == "FREQ=WEEKLY;BYDAY=FR"


def test_a_task_creates_its_next_occurrence_at_most_once(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(client, tasks_url, due_date="2026-12-04", recurrence="FREQ=DAILY")
    url = f"{tasks_url}/{task['id']}"

    first = client.patch(f"{url}/complete", headers=ALICE)
    client.patch(f"{url}/complete", headers=ALICE)  # reopened
    again = client.patch(url, json={"status": "completed"}, headers=ALICE)

    assert "Link" in first.headers
    assert "Link" not in again.headers
    assert again.json()["next_occurrence_id"] == first.json()["next_occurrence_id"]
    assert client.get(tasks_url, headers=ALICE).headers["X-Total-Count"] == "2"


def test_a_count_rule_ends_with_its_last_task(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url, due_date="2026-12-04", recurrence="FREQ=DAILY;COUNT=2")

    second = client.patch(
        f"{tasks_url}/{task['id']}", json={"completed": True}, headers=ALICE
    ).json()["next_occurrence_id"]
    last = client.patch(f"{tasks_url}/{second}/complete", headers=ALICE)

    assert client.get(f"{tasks_url}/{second}", headers=ALICE).json()["recurrence"] == (
        "FREQ=DAILY;COUNT=1"
    )
    assert last.json()["next_occurrence_id"] is None
    assert "Link" not in last.headers


def test_a_late_completion_skips_to_the_first_occurrence_after_now(
    client: TestClient, tasks_url: str, fake_clock: FakeClock
) -> None:
    due = fake_clock.now.replace(hour=9, minute=0, second=0, microsecond=0)
    task = _create(client, tasks_url, due_date=due.isoformat(), recurrence="FREQ=DAILY")
    fake_clock.advance(timedelta(days=10))

    done = client.patch(f"{tasks_url}/{task['id']}/complete", headers=ALICE).json()

    following = client.get(f"{tasks_url}/{done['next_occurrence_id']}", headers=ALICE).json()
    assert following["due_date"] > done["completed_at"]


def test_reminders_filter_by_range_and_sort_soonest_first_without_one_last(
    client: TestClient, tasks_url: str
) -> None:
    later = _create(client, tasks_url, title="later", remind_at="2026-12-04T12:00:00Z")
    sooner = _create(client, tasks_url, title="sooner", remind_at="2026-12-04T10:30:00Z")
    _create(client, tasks_url, title="outside", remind_at="2026-12-05T10:00:00Z")
    none = _create(client, tasks_url, title="none")

    window = client.get(
        tasks_url,
        params={"remind_after": "2026-12-04T10:00:00Z", "remind_before": "2026-12-04T13:00:00Z"},
        headers=ALICE,
    )
    ordered = client.get(tasks_url, params={"sort": "remind_at"}, headers=ALICE)

    assert {task["id"] for task in window.json()} == {later["id"], sooner["id"]}
    assert [task["id"] for task in ordered.json()][:2] == [sooner["id"], later["id"]]
    assert ordered.json()[-1]["id"] == none["id"]


def test_an_empty_remind_at_clears_the_reminder(client: TestClient, tasks_url: str) -> None:
    task = _create(client, tasks_url, remind_at="2026-12-04T10:00:00+02:00")

    cleared = client.patch(f"{tasks_url}/{task['id']}", json={"remind_at": ""}, headers=ALICE)

    assert task["remind_at"] == "2026-12-04T08:00:00.000000Z"
    assert cleared.json()["remind_at"] is None


def test_a_fetched_task_with_every_new_field_can_be_sent_back_unchanged(
    client: TestClient, tasks_url: str
) -> None:
    task = _create(
        client,
        tasks_url,
        tags=["a"],
        due_date="2026-12-04",
        recurrence="FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
        remind_at="2026-12-03",
    )

    echoed = client.put(f"{tasks_url}/{task['id']}", json=task, headers=ALICE)

    assert echoed.status_code == 200
    assert echoed.json()["version"] == 1
