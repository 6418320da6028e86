"""Each tool's published input schema accepts exactly what the tool accepts.

A table of arguments per tool, each known to be accepted or refused, is run
twice: against the schema the server lists (``jsonschema_rs``, the validator
schemathesis uses), and as a real call. The two must agree with the table.
Properties then compare the title and timestamp patterns with the core's
own rules on generated text.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any, Final

import anyio
import jsonschema_rs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.mcp_client import memory_tools
from tests.unit.mcp.conftest import ServerFor
from todo_core.edits import TaskDraft
from todo_core.errors import InvalidInput
from todo_core.model import clean_tags, clean_title
from todo_core.recurrence import clean_recurrence
from todo_core.services import ListRequest, TaskService
from todo_core.timestamps import parse_timestamp
from todo_mcp.fields import TAG_PATTERN, TIMESTAMP_OR_EMPTY_PATTERN, TITLE_PATTERN, WHITESPACE
from todo_presentation.patterns import RECURRENCE_PATTERN

DUE: Final = datetime(2026, 12, 1, tzinfo=UTC)
TASK: Final = "<a task of alice's>"
TASK_HEX: Final = "<the same, 32 hex digits>"
CURSOR: Final = "<a cursor of alice's default listing>"

ACCEPTED_TITLES: Final = [
    "Buy milk",
    "  padded  ",
    "\tTabbed and broken\n",
    "\x85\u3000x\u2003",
    "x" * 255,
    " " + "x" * 255 + "\t",
    "👩‍💻 with a joiner",
    "a b",
]
REFUSED_TITLES: Final = [
    "",
    "   ",
    "\t\n",
    "x" * 256,
    "a\tb",
    "a\x00b",
    "a\x85b",
    "a\x7fb",
    5,
    None,
]
ACCEPTED_TIMESTAMPS: Final = [
    "2026-12-01",
    "2026-12-01T17:00:00Z",
    "2026-12-01T17:00",
    "2026-12-01 17:00:00.123456+05:30",
    "2026-12-01t17:00z",
    "2026-12-01T17:00-0500",
    " 2026-12-01 ",
    "0001-01-01T00:00:00Z",
]
REFUSED_TIMESTAMPS: Final = [
    "2026-12-01T25:00",
    "2026-13-01",
    "tomorrow",
    "2026-12-01T17:00:00.1234567Z",
    "0000-01-01",
    "2026-12-01T17:00+05",
    "2026-12-01Z",
    "20261201",
    20261201,
]

CASES: Final[list[tuple[str, dict[str, Any], bool]]] = [
    *[("add_task", {"title": title}, True) for title in ACCEPTED_TITLES],
    *[("add_task", {"title": title}, False) for title in REFUSED_TITLES],
    ("add_task", {}, False),
    ("add_task", {"title": "x", "unknown": "ignored"}, True),
    ("add_task", {"title": "x", "description": "line\nbreak\ttab"}, True),
    ("add_task", {"title": "x", "description": None}, True),
    ("add_task", {"title": "x", "description": "x" * 2000}, True),
    ("add_task", {"title": "x", "description": "x" * 2001}, False),
    ("add_task", {"title": "x", "description": "a\x00"}, False),
    ("add_task", {"title": "x", "description": 5}, False),
    ("add_task", {"title": "x", "priority": "high"}, True),
    ("add_task", {"title": "x", "priority": None}, True),
    ("add_task", {"title": "x", "priority": "HIGH"}, False),
    ("add_task", {"title": "x", "priority": "urgent"}, False),
    ("add_task", {"title": "x", "priority": 1}, False),
    *[("add_task", {"title": "x", "due_date": when}, True) for when in ACCEPTED_TIMESTAMPS],
    *[("add_task", {"title": "x", "due_date": when}, False) for when in REFUSED_TIMESTAMPS],
    ("add_task", {"title": "x", "due_date": ""}, True),
    ("add_task", {"title": "x", "due_date": None}, True),
    ("add_task", {"title": "x", "due_date": "  "}, False),
    ("add_task", {"title": "x", "user_id": "alice"}, True),
    ("add_task", {"title": "x", "user_id": None}, True),
    ("add_task", {"title": "x", "user_id": 5}, False),
    ("add_task", {"title": "x", "tags": ["work", "home"]}, True),
    ("add_task", {"title": "x", "tags": []}, True),
    ("add_task", {"title": "x", "tags": None}, True),
    ("add_task", {"title": "x", "tags": ["\tpadded\n", "Work", "work"]}, True),
    ("add_task", {"title": "x", "tags": ["x" * 50, " " + "y" * 50 + " "]}, True),
    ("add_task", {"title": "x", "tags": [f"t{n}" for n in range(20)]}, True),
    ("add_task", {"title": "x", "tags": [f"t{n}" for n in range(21)]}, False),
    ("add_task", {"title": "x", "tags": ["x" * 51]}, False),
    ("add_task", {"title": "x", "tags": ["a,b"]}, False),
    ("add_task", {"title": "x", "tags": [""]}, False),
    ("add_task", {"title": "x", "tags": ["  "]}, False),
    ("add_task", {"title": "x", "tags": ["a\tb"]}, False),
    ("add_task", {"title": "x", "tags": "work"}, False),
    ("add_task", {"title": "x", "tags": [5]}, False),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-04", "recurrence": "FREQ=WEEKLY;BYDAY=FR"},
        True,
    ),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"},
        True,
    ),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=DAILY;UNTIL=20261231"},
        True,
    ),
    (
        "add_task",
        {
            "title": "x",
            "due_date": "2026-12-01",
            "recurrence": (
                "FREQ=YEARLY;INTERVAL=2;BYMONTHDAY=1,-1;BYMONTH=1,12;UNTIL=20301231T235959Z"
            ),
        },
        True,
    ),
    ("add_task", {"title": "x", "recurrence": None}, True),
    ("add_task", {"title": "x", "recurrence": "FREQ=DAILY"}, False),
    ("add_task", {"title": "x", "due_date": "", "recurrence": "FREQ=DAILY"}, False),
    ("add_task", {"title": "x", "due_date": None, "recurrence": "FREQ=DAILY"}, False),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-01", "recurrence": "BYDAY=FR;FREQ=WEEKLY"},
        False,
    ),
    ("add_task", {"title": "x", "due_date": "2026-12-01", "recurrence": "freq=weekly"}, False),
    ("add_task", {"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=HOURLY"}, False),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=WEEKLY;BYDAY=1FR"},
        False,
    ),
    (
        "add_task",
        {"title": "x", "due_date": "2026-12-01", "recurrence": "FREQ=DAILY;COUNT=2;UNTIL=20261231"},
        False,
    ),
    ("add_task", {"title": "x", "due_date": "2026-12-01", "recurrence": "RRULE:FREQ=DAILY"}, False),
    ("add_task", {"title": "x", "remind_at": "2026-12-01T09:00:00Z"}, True),
    ("add_task", {"title": "x", "remind_at": ""}, True),
    ("add_task", {"title": "x", "remind_at": "soon"}, False),
    ("list_tasks", {}, True),
    ("list_tasks", {"tag": "work"}, True),
    ("list_tasks", {"tag": ["work", "Home"]}, True),
    ("list_tasks", {"tag": "work,home"}, True),
    ("list_tasks", {"tag": ""}, True),
    ("list_tasks", {"tag": "a\x00"}, False),
    ("list_tasks", {"tag": [5]}, False),
    ("list_tasks", {"remind_after": "2026-01-01", "remind_before": "2026-02-01T00:00Z"}, True),
    ("list_tasks", {"remind_after": "later"}, False),
    ("list_tasks", {"sort": "remind_at"}, True),
    ("list_tasks", {"sort": "-remind_at"}, True),
    ("list_tasks", {"status": "pending"}, True),
    ("list_tasks", {"status": ["pending", "completed"]}, True),
    ("list_tasks", {"status": "all"}, True),
    ("list_tasks", {"status": []}, True),
    ("list_tasks", {"status": None}, True),
    ("list_tasks", {"status": "done"}, False),
    ("list_tasks", {"status": ["pending", "done"]}, False),
    ("list_tasks", {"status": "pending,completed"}, False),
    ("list_tasks", {"status": 1}, False),
    ("list_tasks", {"priority": ["low", "all"]}, True),
    ("list_tasks", {"priority": "High"}, False),
    ("list_tasks", {"completed": True}, True),
    ("list_tasks", {"completed": False}, True),
    ("list_tasks", {"completed": "true"}, False),
    ("list_tasks", {"completed": 1}, False),
    ("list_tasks", {"overdue": True}, True),
    ("list_tasks", {"overdue": "yes"}, False),
    ("list_tasks", {"search": "report"}, True),
    ("list_tasks", {"search": ""}, True),
    ("list_tasks", {"search": "100%_\\"}, True),
    ("list_tasks", {"search": "a\x00"}, False),
    ("list_tasks", {"search": 5}, False),
    ("list_tasks", {"due_after": "2026-01-01", "due_before": ""}, True),
    ("list_tasks", {"due_before": "2026-01-01T00:00:00+01:00"}, True),
    ("list_tasks", {"due_after": "soon"}, False),
    ("list_tasks", {"due_before": "2026-12-01T17:00+05"}, False),
    ("list_tasks", {"sort": "title"}, True),
    ("list_tasks", {"sort": "-due_date"}, True),
    ("list_tasks", {"sort": "name"}, False),
    ("list_tasks", {"sort": "+title"}, False),
    ("list_tasks", {"sort": " title"}, False),
    ("list_tasks", {"order": "asc"}, True),
    ("list_tasks", {"order": "DESC"}, False),
    ("list_tasks", {"limit": 1}, True),
    ("list_tasks", {"limit": 100}, True),
    ("list_tasks", {"limit": 50.0}, True),
    ("list_tasks", {"limit": 0}, False),
    ("list_tasks", {"limit": 101}, False),
    ("list_tasks", {"limit": "5"}, False),
    ("list_tasks", {"limit": True}, False),
    ("list_tasks", {"limit": 2.5}, False),
    ("list_tasks", {"offset": 0}, True),
    ("list_tasks", {"offset": 10}, True),
    ("list_tasks", {"offset": -1}, False),
    ("list_tasks", {"offset": 2**31}, False),
    ("list_tasks", {"offset": "1"}, False),
    ("list_tasks", {"cursor": CURSOR}, True),
    ("list_tasks", {"cursor": CURSOR, "limit": 1}, True),
    ("list_tasks", {"cursor": CURSOR, "offset": 0}, False),
    ("list_tasks", {"cursor": CURSOR, "offset": None}, True),
    ("list_tasks", {"cursor": "", "offset": 3}, True),
    ("list_tasks", {"cursor": None, "offset": 3}, True),
    ("list_tasks", {"cursor": 5}, False),
    ("get_task", {"task_id": TASK}, True),
    ("get_task", {"task_id": TASK.upper()}, True),
    ("get_task", {"task_id": "not-a-uuid"}, False),
    ("get_task", {"task_id": TASK_HEX}, False),
    ("get_task", {"task_id": "{" + TASK + "}"}, False),
    ("get_task", {"task_id": 5}, False),
    ("get_task", {}, False),
    ("update_task", {"task_id": TASK}, True),
    *[("update_task", {"task_id": TASK, "title": title}, True) for title in ACCEPTED_TITLES],
    *[
        ("update_task", {"task_id": TASK, "title": t}, False)
        for t in REFUSED_TITLES
        if t is not None
    ],
    ("update_task", {"task_id": TASK, "title": None}, True),
    ("update_task", {"task_id": TASK, "status": "in_progress"}, True),
    ("update_task", {"task_id": TASK, "status": None}, True),
    ("update_task", {"task_id": TASK, "status": "done"}, False),
    ("update_task", {"task_id": TASK, "completed": True}, True),
    ("update_task", {"task_id": TASK, "completed": None}, True),
    ("update_task", {"task_id": TASK, "completed": "true"}, False),
    ("update_task", {"task_id": TASK, "description": None, "due_date": ""}, True),
    ("update_task", {"task_id": TASK, "description": "x" * 2001}, False),
    *[("update_task", {"task_id": TASK, "due_date": w}, False) for w in REFUSED_TIMESTAMPS],
    ("update_task", {"title": "x"}, False),
    ("update_task", {"task_id": TASK, "tags": ["a"], "recurrence": "FREQ=DAILY"}, True),
    ("update_task", {"task_id": TASK, "tags": None, "recurrence": None, "remind_at": None}, True),
    ("update_task", {"task_id": TASK, "tags": [], "remind_at": ""}, True),
    ("update_task", {"task_id": TASK, "tags": ["a,b"]}, False),
    ("update_task", {"task_id": TASK, "recurrence": "FREQ=SOMETIMES"}, False),
    ("complete_task", {"task_id": TASK}, True),
    ("complete_task", {"task_id": TASK, "completed": True}, True),
    ("complete_task", {"task_id": TASK, "completed": False}, True),
    ("complete_task", {"task_id": TASK, "completed": None}, True),
    ("complete_task", {"task_id": TASK, "completed": "false"}, False),
    ("complete_task", {"task_id": TASK, "completed": 0}, False),
    ("delete_task", {"task_id": TASK}, True),
    ("delete_task", {"task_id": "x"}, False),
    ("task_stats", {}, True),
    ("task_stats", {"user_id": "alice"}, True),
    ("task_stats", {"user_id": 7}, False),
    ("list_tags", {}, True),
    ("list_tags", {"user_id": "alice"}, True),
    ("list_tags", {"user_id": ["alice"]}, False),
]


def _fill(value: Any, task_id: str, cursor: str) -> Any:
    if isinstance(value, str):
        return (
            value.replace(TASK.upper(), task_id.upper())
            .replace(TASK, task_id)
            .replace(CURSOR, cursor)
        )
    return value


@pytest.mark.parametrize(("tool", "arguments", "accepted"), CASES, ids=lambda v: repr(v)[:40])
def test_the_input_schema_and_the_tool_agree_on_what_is_accepted(
    server_for: ServerFor,
    service: TaskService,
    tool: str,
    arguments: dict[str, Any],
    accepted: bool,
) -> None:
    for title in ("first", "second"):
        task = service.create(actor="alice", draft=TaskDraft(title=title, due_date=DUE))
    cursor = service.list(actor="alice", request=ListRequest(limit=1)).next_cursor
    assert cursor is not None
    filled = {name: _fill(value, str(task.id), cursor) for name, value in arguments.items()}

    async def scenario() -> tuple[dict[str, Any], bool, str]:
        async with memory_tools(server_for("alice")) as tools:
            listed = {t.name: t.inputSchema for t in (await tools.session.list_tools()).tools}
            result = await tools.call(tool, **filled)
            return listed[tool], result.isError, str(result.content)

    schema, refused, said = anyio.run(scenario)

    assert jsonschema_rs.is_valid(schema, filled) is accepted, "the schema disagrees"
    assert refused is not accepted, f"the tool disagrees: {said}"


_EDGE_CHARACTERS: Final = st.sampled_from(
    [
        "a",
        "é",
        ",",
        " ",
        "\t",
        "\n",
        "\x00",
        "\x1f",
        "\x7f",
        "\x85",
        "\xa0",
        "\u2003",
        "\u3000",
        "👩",
    ]
)
_TEXT: Final = st.text(
    alphabet=_EDGE_CHARACTERS | st.characters(exclude_categories=("Cs",)), max_size=8
)


def padded(limit: int) -> st.SearchStrategy[str]:
    """Text around a length limit: padding, a body near ``limit`` characters, odd characters."""
    bodies = st.sampled_from(["", "x" * (limit - 2), "x" * (limit - 1), "x" * limit])
    return st.tuples(_TEXT, bodies, _TEXT, _TEXT).map("".join)


def title_like() -> st.SearchStrategy[str]:
    return padded(255)


def _title_accepted(value: str) -> bool:
    try:
        clean_title(value)
    except InvalidInput:
        return False
    return True


@given(title_like())
@example("\x1c title \x1f")
@example("x" * 255 + "\u3000")
def test_the_title_pattern_takes_exactly_the_titles_the_core_takes(title: str) -> None:
    matched = re.fullmatch(TITLE_PATTERN, title) is not None

    assert matched == _title_accepted(title)
    assert jsonschema_rs.is_valid({"type": "string", "pattern": TITLE_PATTERN}, title) == matched


def _tag_accepted(value: str) -> bool:
    try:
        clean_tags([value])
    except InvalidInput:
        return False
    return True


@given(padded(50))
@example(" a,b ")
def test_the_tag_pattern_takes_exactly_the_tags_the_core_takes(tag: str) -> None:
    matched = re.fullmatch(TAG_PATTERN, tag) is not None

    assert matched == _tag_accepted(tag)
    assert jsonschema_rs.is_valid({"type": "string", "pattern": TAG_PATTERN}, tag) == matched


@given(st.from_regex(RECURRENCE_PATTERN, fullmatch=True))
@example("FREQ=MONTHLY;INTERVAL=999;BYDAY=-5SU,+1MO;BYMONTHDAY=-1;BYMONTH=2;COUNT=1000")
def test_every_rule_the_recurrence_pattern_allows_the_core_takes_unchanged(rule: str) -> None:
    until = re.search(r"UNTIL=([0-9]{8})", rule)
    if until is not None:
        try:
            date(int(until[1][:4]), int(until[1][4:6]), int(until[1][6:]))
        except ValueError:
            return  # a calendar question (20260231), as for the timestamps

    assert clean_recurrence(rule) is not None
    assert jsonschema_rs.is_valid({"type": "string", "pattern": RECURRENCE_PATTERN}, rule)


def test_the_whitespace_class_is_what_str_strip_removes() -> None:
    stripped = {chr(point) for point in range(0x110000) if chr(point).isspace()}

    matched = {c for c in map(chr, range(0x110000)) if re.fullmatch(f"[{WHITESPACE}]", c)}

    assert matched == stripped


#: Each part of a timestamp: spellings the API reads, and near misses.
_PARTS: Final = {
    "year": (
        ["2026", "0001", "0002", "9998", "9999"],
        ["0000", "202", "20261", "\uff12\uff10\uff12\uff16"],
    ),
    "month": (["01", "02", "09", "12"], ["00", "13", "1"]),
    "day": (["01", "28", "29", "30", "31"], ["00", "32", "1"]),
    "separator": (["T", "t", " "], ["_", "", "TT"]),
    "hour": (["00", "09", "23"], ["24", "7"]),
    "minute": ([":00", ":59"], [":60", ":5", ""]),
    "second": (["", ":00", ":59", ":00.1", ":00.123456"], [":60", ":00.1234567", ":00."]),
    "offset": (
        ["", "Z", "z", "+00:00", "-05:30", "+0530", "+23:59", "-00:00", "-0060", "+22:99"],
        ["+24:00", "+23:60", "+05", " Z", "+5:00"],
    ),
    "padding": (["", " ", "\u3000", "\t"], ["x", "\x00"]),
}


@st.composite
def timestamp_like(draw: st.DrawFn) -> str:
    """A timestamp the API reads, or one with exactly one part subtly wrong."""
    broken = draw(st.sampled_from([None, *_PARTS]))
    part = {
        name: draw(st.sampled_from(wrong if name == broken else right))
        for name, (right, wrong) in _PARTS.items()
    }
    date = f"{part['year']}-{part['month']}-{part['day']}"
    time = f"{part['separator']}{part['hour']}{part['minute']}{part['second']}{part['offset']}"
    with_time = draw(st.booleans()) or broken in ("separator", "hour", "minute", "second", "offset")
    return f"{part['padding']}{date}{time if with_time else ''}{part['padding']}"


def _timestamp_accepted(value: str) -> bool:
    try:
        parse_timestamp(value)
    except InvalidInput:
        return False
    return True


def _safe_calendar(value: str) -> bool:
    """No month length, leap year or year edge in this string: what a pattern cannot see."""
    match = re.search(r"([0-9]{4})-[0-9]{2}-([0-9]{2})", value)
    return match is not None and "0002" <= match.group(1) <= "9998" and match.group(2) <= "28"


@given(timestamp_like() | st.from_regex(TIMESTAMP_OR_EMPTY_PATTERN, fullmatch=True))
@example("2026-02-30")
def test_the_timestamp_pattern_takes_what_the_api_reads_but_the_calendar(value: str) -> None:
    matched = re.fullmatch(TIMESTAMP_OR_EMPTY_PATTERN, value) is not None
    accepted = value == "" or _timestamp_accepted(value)

    if accepted:
        assert matched
    if matched and _safe_calendar(value):
        assert accepted
    assert (
        jsonschema_rs.is_valid({"type": "string", "pattern": TIMESTAMP_OR_EMPTY_PATTERN}, value)
        == matched
    )


def test_uuids_of_any_version_are_taken_and_the_unknown_one_is_not_found(
    server_for: ServerFor,
) -> None:
    async def scenario() -> str:
        async with memory_tools(server_for("alice")) as tools:
            return await tools.refused("get_task", task_id=str(uuid.uuid1()))

    assert anyio.run(scenario) == "Task not found"
