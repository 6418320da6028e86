"""Every tool through the SDK's client (in-memory transport), over the real use cases."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import anyio
import pytest

from tests.support.clock import FakeClock
from tests.support.mcp_client import TOOL_NAMES, Tools, memory_tools
from tests.unit.mcp.conftest import ServerFor
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_core.errors import StorageUnavailable
from todo_core.ports import UnitOfWork
from todo_core.services import TaskService
from todo_presentation.documents import task_document

Scenario = Callable[[Tools], Awaitable[Any]]


def drive(server_for: ServerFor, scenario: Scenario, *, user: str = "alice", **options: Any) -> Any:
    """Run ``scenario`` with a client session of the server acting for ``user``."""

    async def main() -> Any:
        async with memory_tools(server_for(user, **options)) as tools:
            return await scenario(tools)

    return anyio.run(main)


def test_the_tools_are_listed_with_descriptions_and_input_and_output_schemas(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> Any:
        return (await tools.session.list_tools()).tools

    listed = drive(server_for, scenario)

    assert tuple(tool.name for tool in listed) == TOOL_NAMES
    for tool in listed:
        assert tool.description
        assert tool.title
        assert tool.inputSchema["type"] == "object"
        assert tool.outputSchema is not None
        assert tool.outputSchema["type"] == "object"
        assert "$ref" not in str(tool.inputSchema), tool.name
        for name, field in tool.inputSchema["properties"].items():
            assert field.get("description"), f"{tool.name}.{name} has no description"
    hints = {tool.name: tool.annotations for tool in listed}
    assert hints["delete_task"] is not None
    assert hints["delete_task"].destructiveHint
    assert hints["list_tasks"] is not None
    assert hints["list_tasks"].readOnlyHint


def test_add_task_returns_the_new_task_in_the_api_shape(
    server_for: ServerFor, service: TaskService
) -> None:
    async def scenario(tools: Tools) -> dict[str, Any]:
        return await tools.ok(
            "add_task", title="  Write the report ", due_date="2026-12-01", priority="high"
        )

    task = drive(server_for, scenario)

    stored = service.get(actor="alice", task_id=uuid.UUID(task["id"]))
    assert task == task_document(stored)
    assert task["title"] == "Write the report"
    assert task["due_date"] == "2026-12-01T00:00:00.000000Z"
    assert (task["status"], task["priority"], task["version"]) == ("pending", "high", 1)
    assert task["user_id"] == "alice"


def test_list_tasks_filters_sorts_and_pages_by_the_api_rules(
    server_for: ServerFor, fake_clock: FakeClock
) -> None:
    async def scenario(tools: Tools) -> dict[str, Any]:
        titles = {}
        for title, priority, due in [
            ("alpha report", "low", "2026-03-01"),
            ("beta", "high", "2026-04-01T09:30:00+02:00"),
            ("gamma report", "medium", None),
            ("delta", "high", "2026-03-20"),
        ]:
            task = await tools.ok("add_task", title=title, priority=priority, due_date=due)
            titles[title] = task["id"]
        await tools.ok("complete_task", task_id=titles["delta"])

        def names(page: dict[str, Any]) -> list[str]:
            return [task["title"] for task in page["tasks"]]

        first = await tools.ok("list_tasks", sort="title", limit=3)
        rest = await tools.ok("list_tasks", sort="title", limit=3, cursor=first["next_cursor"])
        return {
            "all": names(await tools.ok("list_tasks", status="all")),
            "pending": names(await tools.ok("list_tasks", status=["pending", "in_progress"])),
            "completed": names(await tools.ok("list_tasks", completed=True)),
            "high": names(await tools.ok("list_tasks", priority="high", sort="-title")),
            "search": names(await tools.ok("list_tasks", search="REPORT", sort="title")),
            "overdue": names(await tools.ok("list_tasks", overdue=True)),
            "due": names(
                await tools.ok(
                    "list_tasks", due_after="2026-03-01", due_before="2026-04-01T07:30:00Z"
                )
            ),
            "by_due": names(await tools.ok("list_tasks", sort="due_date")),
            "offset": names(await tools.ok("list_tasks", sort="title", order="desc", offset=3)),
            "first": (names(first), first["total"], first["next_cursor"] is not None),
            "rest": (names(rest), rest["total"], rest["next_cursor"]),
        }

    fake_clock.set(fake_clock.now.replace(month=3, day=25))
    fake_clock.step = timedelta(seconds=1)  # tasks created one after the other

    seen = drive(server_for, scenario)

    assert seen["all"] == ["delta", "gamma report", "beta", "alpha report"]  # newest first
    assert seen["pending"] == ["gamma report", "beta", "alpha report"]
    assert seen["completed"] == ["delta"]
    assert seen["high"] == ["delta", "beta"]
    assert seen["search"] == ["alpha report", "gamma report"]
    assert seen["overdue"] == ["alpha report"]
    assert seen["due"] == ["delta", "alpha report"]
    assert seen["by_due"] == ["alpha report", "delta", "beta", "gamma report"]
    assert seen["offset"] == ["alpha report"]
    assert seen["first"] == (["alpha report", "beta", "delta"], 4, True)
    assert seen["rest"] == (["gamma report"], 4, None)


def test_get_task_returns_the_task_and_says_when_there_is_none(server_for: ServerFor) -> None:
    async def scenario(tools: Tools) -> tuple[dict[str, Any], dict[str, Any], str]:
        created = await tools.ok("add_task", title="Find me")
        found = await tools.ok("get_task", task_id=created["id"].upper())
        missing = await tools.refused("get_task", task_id=str(uuid.uuid4()))
        return created, found, missing

    created, found, missing = drive(server_for, scenario)

    assert found == created
    assert missing == "Task not found"


def test_update_task_changes_only_the_fields_sent_and_null_clears_what_it_can(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> list[dict[str, Any]]:
        task = await tools.ok(
            "add_task", title="Draft", description="notes", due_date="2026-12-01T10:00Z"
        )
        renamed = await tools.ok(
            "update_task", task_id=task["id"], title="Final", priority=None, status=None
        )
        cleared = await tools.ok(
            "update_task", task_id=task["id"], description=None, due_date="", title=None
        )
        started = await tools.ok("update_task", task_id=task["id"], status="in_progress")
        unchanged = await tools.ok("update_task", task_id=task["id"], status="in_progress")
        done = await tools.ok("update_task", task_id=task["id"], completed=True)
        return [task, renamed, cleared, started, unchanged, done]

    task, renamed, cleared, started, unchanged, done = drive(server_for, scenario)

    assert (renamed["title"], renamed["description"], renamed["priority"]) == (
        "Final",
        "notes",
        "medium",
    )
    assert renamed["due_date"] == task["due_date"]
    assert renamed["version"] == 2
    assert (cleared["title"], cleared["description"], cleared["due_date"]) == ("Final", None, None)
    assert started["status"] == "in_progress"
    assert unchanged["version"] == started["version"]
    assert (done["status"], done["completed"]) == ("completed", True)
    assert done["completed_at"] is not None


def test_update_task_refuses_a_completed_flag_and_status_that_both_differ(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> str:
        task = await tools.ok("add_task", title="Conflicted")
        return await tools.refused(
            "update_task", task_id=task["id"], completed=True, status="in_progress"
        )

    assert drive(server_for, scenario) == "Invalid input: completed: completed and status disagree"


def test_complete_task_completes_by_default_and_false_reopens(server_for: ServerFor) -> None:
    async def scenario(tools: Tools) -> list[dict[str, Any]]:
        task = await tools.ok("add_task", title="Ship it")
        done = await tools.ok("complete_task", task_id=task["id"])
        again = await tools.ok("complete_task", task_id=task["id"], completed=True)
        reopened = await tools.ok("complete_task", task_id=task["id"], completed=False)
        still_open = await tools.ok("complete_task", task_id=task["id"], completed=False)
        return [done, again, reopened, still_open]

    done, again, reopened, still_open = drive(server_for, scenario)

    assert (done["status"], done["completed"]) == ("completed", True)
    assert again["completed_at"] == done["completed_at"]
    assert again["version"] == done["version"]
    assert (reopened["status"], reopened["completed_at"]) == ("pending", None)
    assert still_open["version"] == reopened["version"]


def test_delete_task_deletes_for_good(server_for: ServerFor) -> None:
    async def scenario(tools: Tools) -> tuple[dict[str, Any], str, str, int]:
        task = await tools.ok("add_task", title="Temporary")
        deleted = await tools.ok("delete_task", task_id=task["id"])
        again = await tools.refused("delete_task", task_id=task["id"])
        gone = await tools.refused("get_task", task_id=task["id"])
        total = (await tools.ok("list_tasks"))["total"]
        return deleted, again, gone, total

    deleted, again, gone, total = drive(server_for, scenario)

    assert deleted["deleted"] is True
    assert (again, gone, total) == ("Task not found", "Task not found", 0)


def test_task_stats_counts_by_status_and_priority_and_overdue(
    server_for: ServerFor, fake_clock: FakeClock
) -> None:
    async def scenario(tools: Tools) -> dict[str, Any]:
        await tools.ok("add_task", title="late", due_date="2026-01-01", priority="high")
        await tools.ok("add_task", title="later", due_date="2027-01-01")
        done = await tools.ok("add_task", title="done", due_date="2026-01-01", priority="low")
        await tools.ok("complete_task", task_id=done["id"])
        return await tools.ok("task_stats")

    assert drive(server_for, scenario) == {
        "total": 3,
        "pending": 2,
        "in_progress": 0,
        "completed": 1,
        "overdue": 1,
        "by_priority": {"low": 1, "medium": 1, "high": 1},
        "by_tag": {},
    }


def test_a_user_id_naming_someone_else_is_refused_by_every_tool(server_for: ServerFor) -> None:
    async def scenario(tools: Tools) -> tuple[dict[str, str], dict[str, Any]]:
        task = await tools.ok("add_task", title="Mine")
        task_id = task["id"]
        calls: dict[str, dict[str, Any]] = {
            "add_task": {"title": "Theirs"},
            "list_tasks": {},
            "get_task": {"task_id": task_id},
            "update_task": {"task_id": task_id, "title": "Stolen"},
            "complete_task": {"task_id": task_id},
            "delete_task": {"task_id": task_id},
            "task_stats": {},
            "list_tags": {},
        }
        refusals = {
            name: await tools.refused(name, user_id="bob", **arguments)
            for name, arguments in calls.items()
        }
        own = await tools.ok("get_task", task_id=task_id, user_id="alice")
        return refusals, own

    refusals, own = drive(server_for, scenario)

    assert set(refusals) == set(TOOL_NAMES)
    assert set(refusals.values()) == {"Not authorized to access this resource"}
    assert (own["title"], own["version"]) == ("Mine", 1)


def test_another_users_tasks_are_invisible_and_untouchable(
    server_for: ServerFor, service: TaskService
) -> None:
    async def as_bob(tools: Tools) -> str:
        return (await tools.ok("add_task", title="Bob's"))["id"]

    async def as_alice(tools: Tools) -> dict[str, Any]:
        return {
            "get": await tools.refused("get_task", task_id=bobs),
            "update": await tools.refused("update_task", task_id=bobs, title="x"),
            "complete": await tools.refused("complete_task", task_id=bobs),
            "delete": await tools.refused("delete_task", task_id=bobs),
            "listed": (await tools.ok("list_tasks"))["total"],
            "counted": (await tools.ok("task_stats"))["total"],
        }

    bobs = drive(server_for, as_bob, user="bob")

    seen = drive(server_for, as_alice, user="alice")

    assert seen == {
        "get": "Task not found",
        "update": "Task not found",
        "complete": "Task not found",
        "delete": "Task not found",
        "listed": 0,
        "counted": 0,
    }
    untouched = service.get(actor="bob", task_id=uuid.UUID(bobs))
    assert (untouched.title, untouched.version) == ("Bob's", 1)


def test_bad_arguments_are_named_without_echoing_them(server_for: ServerFor) -> None:
    async def scenario(tools: Tools) -> list[str]:
        return [
            await tools.refused("add_task", description="secret-value"),
            await tools.refused("list_tasks", limit=500, status="secret-value", completed="yes"),
            await tools.refused("get_task", task_id="secret-value"),
            await tools.refused("update_task", task_id=str(uuid.uuid4()), due_date="secret-value"),
        ]

    missing_title, listing, task_id, due_date = drive(server_for, scenario)

    assert missing_title == "Invalid arguments: title: Field required"
    assert listing.startswith("Invalid arguments: ")
    for name in ("status", "completed", "limit"):
        assert f"{name}: " in listing
    assert task_id.startswith("Invalid arguments: task_id: ")
    assert due_date == "Invalid arguments: due_date: Invalid timestamp"
    assert not any("secret-value" in message for message in [listing, task_id, due_date])


def test_what_the_core_refuses_is_a_tool_error_with_the_apis_field_messages(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> list[str]:
        return [
            await tools.refused("add_task", title="   "),
            await tools.refused("add_task", title="a\x00b", description="x" * 2001),
            await tools.refused("list_tasks", cursor="not-a-cursor"),
            await tools.refused("list_tasks", cursor="abc", offset=0),
            await tools.refused("list_tasks", due_after="2026-02-30"),
        ]

    blank, two_fields, cursor, both, calendar = drive(server_for, scenario)

    assert blank == "Invalid input: title: Title must not be empty"
    assert two_fields.startswith("Invalid input: title: ")
    assert "; description: Description must be at most 2000 characters" in two_fields
    assert cursor == "Invalid input: cursor: cursor is not valid"
    assert both == "Invalid input: cursor: cursor cannot be combined with offset"
    assert calendar == "Invalid input: due_after: Invalid timestamp"


class _Failing:
    """A unit-of-work factory that raises ``error`` while ``failing`` is set."""

    def __init__(self, store: InMemoryStore, error: Exception) -> None:
        self.store = store
        self.error = error
        self.failing = True

    def __call__(self) -> UnitOfWork:
        if self.failing:
            raise self.error
        return InMemoryUnitOfWork(self.store)


def test_the_database_being_down_is_a_tool_error_saying_so(
    server_for: ServerFor, store: InMemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    factory = _Failing(store, StorageUnavailable(cause="OperationalError: connection refused"))
    use_cases = TaskService(uow_factory=factory)

    async def scenario(tools: Tools) -> tuple[list[str], dict[str, Any]]:
        refusals = [
            await tools.refused("add_task", title="x"),
            await tools.refused("list_tasks"),
            await tools.refused("task_stats"),
        ]
        factory.failing = False
        return refusals, await tools.ok("add_task", title="back")

    with caplog.at_level(logging.WARNING, logger="todo_mcp"):
        refusals, created = drive(server_for, scenario, use_cases=use_cases)

    assert len(set(refusals)) == 1
    assert "connection refused" not in refusals[0]
    assert "tool add_task: storage unavailable: OperationalError: connection refused" in caplog.text
    assert refusals[0].startswith("Service temporarily unavailable: ")
    assert "database cannot be reached" in refusals[0]
    assert created["title"] == "back"


def test_an_unexpected_failure_is_a_generic_tool_error_and_the_session_goes_on(
    server_for: ServerFor, store: InMemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    factory = _Failing(store, RuntimeError("connection string with password=hunter2"))
    use_cases = TaskService(uow_factory=factory)

    async def scenario(tools: Tools) -> tuple[str, dict[str, Any]]:
        refusal = await tools.refused("add_task", title="x")
        factory.failing = False
        return refusal, await tools.ok("add_task", title="fine")

    with caplog.at_level(logging.ERROR, logger="todo_mcp"):
        refusal, created = drive(server_for, scenario, use_cases=use_cases)

    assert refusal == "Internal server error"
    assert created["title"] == "fine"
    assert "tool add_task failed" in caplog.text


def test_concurrent_calls_in_one_session_each_get_their_answer(server_for: ServerFor) -> None:
    async def add(tools: Tools, title: str) -> None:
        await tools.ok("add_task", title=title)

    async def scenario(tools: Tools) -> int:
        async with anyio.create_task_group() as group:
            for n in range(8):
                group.start_soon(add, tools, f"task {n}")
        return int((await tools.ok("list_tasks"))["total"])

    assert drive(server_for, scenario) == 8


def test_overdue_follows_the_clock_of_the_use_cases(
    server_for: ServerFor, fake_clock: FakeClock
) -> None:
    async def scenario(tools: Tools) -> tuple[int, int]:
        await tools.ok(
            "add_task", title="soon", due_date=(fake_clock.now + timedelta(hours=1)).isoformat()
        )
        before = (await tools.ok("list_tasks", overdue=True))["total"]
        fake_clock.advance(timedelta(hours=2))
        after = (await tools.ok("list_tasks", overdue=True))["total"]
        return before, after

    assert drive(server_for, scenario) == (0, 1)


def test_tags_recurrence_and_reminders_are_set_on_add_and_changed_or_cleared_on_update(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> list[dict[str, Any]]:
        added = await tools.ok(
            "add_task",
            title="Weekly review",
            due_date="2026-03-20T16:00:00Z",
            tags=["Work", " planning ", "work"],
            recurrence="FREQ=WEEKLY;BYDAY=FR",
            remind_at="2026-03-20T15:30:00+00:00",
        )
        retagged = await tools.ok("update_task", task_id=added["id"], tags=["home"], title=None)
        cleared = await tools.ok(
            "update_task", task_id=added["id"], tags=None, recurrence=None, remind_at=""
        )
        return [added, retagged, cleared]

    added, retagged, cleared = drive(server_for, scenario)

    assert added["tags"] == ["Work", "planning"]
    assert added["recurrence"] == "FREQ=WEEKLY;BYDAY=FR"
    assert added["remind_at"] == "2026-03-20T15:30:00.000000Z"
    assert (retagged["tags"], retagged["recurrence"]) == (["home"], "FREQ=WEEKLY;BYDAY=FR")
    assert (cleared["tags"], cleared["recurrence"], cleared["remind_at"]) == ([], None, None)
    assert cleared["due_date"] == added["due_date"]


def test_completing_a_recurring_task_creates_its_next_occurrence_once(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        task = await tools.ok(
            "add_task", title="Review", due_date="2026-03-20T16:00Z", recurrence="FREQ=WEEKLY"
        )
        done = await tools.ok("complete_task", task_id=task["id"])
        following = await tools.ok("get_task", task_id=done["next_occurrence_id"])
        await tools.ok("complete_task", task_id=task["id"], completed=False)
        again = await tools.ok("complete_task", task_id=task["id"])
        return done, following, again

    done, following, again = drive(server_for, scenario)

    assert done["completed"] is True
    assert (following["status"], following["due_date"]) == (
        "pending",
        "2026-03-27T16:00:00.000000Z",
    )
    assert following["recurrence"] == "FREQ=WEEKLY"
    assert again["next_occurrence_id"] == done["next_occurrence_id"]


def test_list_tasks_filters_by_tag_and_reminder_and_list_tags_counts_them(
    server_for: ServerFor, fake_clock: FakeClock
) -> None:
    async def scenario(tools: Tools) -> dict[str, Any]:
        await tools.ok("add_task", title="a", tags=["Work"], remind_at="2026-03-20T09:00Z")
        await tools.ok("add_task", title="b", tags=["home", "work"], remind_at="2026-03-21")
        await tools.ok("add_task", title="c", tags=["garden"])

        def names(page: dict[str, Any]) -> list[str]:
            return [task["title"] for task in page["tasks"]]

        return {
            "work": names(await tools.ok("list_tasks", tag="WORK", sort="title")),
            "either": names(await tools.ok("list_tasks", tag=["garden", "home"], sort="title")),
            "comma": names(await tools.ok("list_tasks", tag="garden,home", sort="title")),
            "reminded": names(
                await tools.ok(
                    "list_tasks", remind_after="2026-03-20T09:00Z", remind_before="2026-03-21"
                )
            ),
            "by_reminder": names(await tools.ok("list_tasks", sort="remind_at")),
            "tags": await tools.ok("list_tags"),
            "by_tag": (await tools.ok("task_stats"))["by_tag"],
        }

    fake_clock.step = timedelta(seconds=1)

    seen = drive(server_for, scenario)

    assert seen["work"] == ["a", "b"]
    assert seen["either"] == seen["comma"] == ["b", "c"]
    assert seen["reminded"] == ["a"]
    assert seen["by_reminder"] == ["a", "b", "c"]
    assert seen["tags"] == {
        "tags": [
            {"name": "garden", "count": 1},
            {"name": "home", "count": 1},
            {"name": "work", "count": 2},
        ]
    }
    assert seen["by_tag"] == {"garden": 1, "home": 1, "work": 2}


def test_the_recurrence_rules_the_core_keeps_are_tool_errors_with_its_messages(
    server_for: ServerFor,
) -> None:
    async def scenario(tools: Tools) -> list[str]:
        task = await tools.ok("add_task", title="No due date")
        return [
            await tools.refused("add_task", title="x", recurrence="FREQ=DAILY"),
            await tools.refused(
                "add_task", title="x", due_date="2026-12-01", recurrence="FREQ=DAILY;UNTIL=20261130"
            ),
            await tools.refused("update_task", task_id=task["id"], recurrence="FREQ=DAILY"),
            await tools.refused(
                "add_task", title="x", due_date="2026-12-01", recurrence="BYDAY=FR;FREQ=WEEKLY"
            ),
        ]

    missing_due, until, update_missing_due, order = drive(server_for, scenario)

    assert missing_due == "Invalid input: recurrence: A recurring task needs a due_date"
    assert until == "Invalid input: recurrence: UNTIL lies before the due date"
    assert update_missing_due == missing_due
    assert order.startswith("Invalid arguments: recurrence: Input should be a rule like")
