"""The field rules of a task (API.md section 3), checked on creation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.clock import DEFAULT_START
from todo_core.edits import TaskDraft, new_task
from todo_core.errors import InvalidInput
from todo_core.model import Task, TaskPriority, TaskStatus

NOW = DEFAULT_START


def create(**fields: object) -> Task:
    fields.setdefault("title", "A task")
    user_id = str(fields.pop("user_id", "alice"))
    return new_task(TaskDraft(**fields), user_id=user_id, now=NOW)  # type: ignore[arg-type]


def refused_fields(**fields: object) -> tuple[str, ...]:
    with pytest.raises(InvalidInput) as caught:
        create(**fields)
    return caught.value.fields


# --- title ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Buy milk  ", "Buy milk"),
        ("\t\nBuy milk\r\n", "Buy milk"),
        ("\u3000\u00a0Buy milk\u2003", "Buy milk"),
        ("\x1c\x1fBuy milk\x85", "Buy milk"),
        ("Buy   milk", "Buy   milk"),
    ],
)
def test_a_title_is_trimmed_of_surrounding_unicode_whitespace(sent: str, stored: str) -> None:
    task = create(title=sent)

    assert task.title == stored


@pytest.mark.parametrize(
    "title",
    [
        "a",
        "x" * 255,
        "👍" * 255,
        "e\u0301" * 127 + "e",
        "👩\u200d💻 pair with 🏳️\u200d🌈",
        "zero\u200bwidth space and soft\u00adhyphen",
        "line\u2028separator",
    ],
)
def test_a_title_of_1_to_255_code_points_without_control_characters_is_accepted(
    title: str,
) -> None:
    task = create(title=title)

    assert task.title == title


def test_a_title_may_exceed_255_characters_only_by_surrounding_whitespace() -> None:
    task = create(title="   " + "x" * 255 + "\n")

    assert task.title == "x" * 255


@pytest.mark.parametrize(
    "title",
    [
        "",
        "   ",
        "\t\n\r",
        "\u3000",
        "x" * 256,
        "👍" * 256,
        "e\u0301" * 128,
    ],
)
def test_a_title_that_is_blank_or_longer_than_255_code_points_is_refused(title: str) -> None:
    fields = refused_fields(title=title)

    assert fields == ("title",)


@pytest.mark.parametrize(
    "control",
    ["\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\x80", "\x85", "\x9f"],
    ids=["NUL", "BEL", "TAB", "LF", "ESC", "DEL", "PAD", "NEL", "APC"],
)
def test_a_title_with_a_control_character_inside_is_refused(control: str) -> None:
    fields = refused_fields(title=f"Buy{control}milk")

    assert fields == ("title",)


@pytest.mark.parametrize("surrogate", [chr(0xD800), chr(0xDFFF), chr(0xDC80)])
def test_a_title_with_a_lone_surrogate_is_refused(surrogate: str) -> None:
    fields = refused_fields(title=f"Buy{surrogate}milk")

    assert fields == ("title",)


# --- description ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        None,
        "",
        "  kept exactly as sent  ",
        "line one\nline two\r\n\tindented",
        "x" * 2000,
        "日" * 2000,
        "bell \x07 and DEL \x7f are not forbidden here",
    ],
)
def test_a_description_up_to_2000_characters_without_nul_is_stored_as_sent(
    description: str | None,
) -> None:
    task = create(description=description)

    assert task.description == description


@pytest.mark.parametrize(
    "description", ["x" * 2001, "日" * 2001, "nul \x00 inside", "\x00", "lone \ud83d surrogate"]
)
def test_a_description_that_is_too_long_or_holds_a_nul_or_lone_surrogate_is_refused(
    description: str,
) -> None:
    fields = refused_fields(description=description)

    assert fields == ("description",)


# --- status, priority and their defaults ----------------------------------------------


def test_a_new_task_is_pending_medium_version_1_with_no_dates() -> None:
    task = create()

    assert (task.status, task.priority, task.version) == ("pending", "medium", 1)
    assert (task.completed, task.completed_at, task.due_date, task.description) == (
        False,
        None,
        None,
        None,
    )
    assert task.created_at == task.updated_at == NOW


@pytest.mark.parametrize("status", list(TaskStatus))
@pytest.mark.parametrize("priority", list(TaskPriority))
def test_every_status_and_priority_can_be_chosen(
    status: TaskStatus, priority: TaskPriority
) -> None:
    task = create(status=status, priority=priority)

    assert (task.status, task.priority) == (status, priority)
    assert task.completed is (status is TaskStatus.COMPLETED)


def test_the_enums_use_the_wire_values_in_sort_order() -> None:
    assert [status.value for status in TaskStatus] == ["pending", "in_progress", "completed"]
    assert [priority.value for priority in TaskPriority] == ["low", "medium", "high"]
    assert [status.rank for status in TaskStatus] == [0, 1, 2]
    assert [priority.rank for priority in TaskPriority] == [0, 1, 2]


def test_a_task_created_completed_gets_completed_at_from_the_clock() -> None:
    task = create(status=TaskStatus.COMPLETED)

    assert (task.completed, task.completed_at) == (True, NOW)


# --- completed on create --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "completed", "expected"),
    [
        (None, True, TaskStatus.COMPLETED),
        (None, False, TaskStatus.PENDING),
        (TaskStatus.COMPLETED, True, TaskStatus.COMPLETED),
        (TaskStatus.PENDING, False, TaskStatus.PENDING),
        (TaskStatus.IN_PROGRESS, False, TaskStatus.IN_PROGRESS),
    ],
)
def test_completed_on_create_sets_the_status_when_it_agrees(
    status: TaskStatus | None, completed: bool, expected: TaskStatus
) -> None:
    task = create(status=status, completed=completed)

    assert task.status == expected
    assert task.completed is (expected is TaskStatus.COMPLETED)


@pytest.mark.parametrize(
    ("status", "completed"),
    [
        (TaskStatus.COMPLETED, False),
        (TaskStatus.PENDING, True),
        (TaskStatus.IN_PROGRESS, True),
    ],
)
def test_completed_disagreeing_with_status_on_create_is_refused_on_completed(
    status: TaskStatus, completed: bool
) -> None:
    fields = refused_fields(status=status, completed=completed)

    assert fields == ("completed",)


# --- due date -------------------------------------------------------------------------


def test_a_due_date_in_utc_is_kept_to_the_microsecond() -> None:
    due = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)

    task = create(due_date=due)

    assert task.due_date == due
    assert task.due_date is not None
    assert task.due_date.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("sent", "utc"),
    [
        (
            datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            datetime(2026, 12, 1, 3, 30, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 31, 20, 0, 0, 1, tzinfo=timezone(timedelta(hours=-8))),
            datetime(2027, 1, 1, 4, 0, 0, 1, tzinfo=UTC),
        ),
        (
            datetime(1, 1, 1, 12, tzinfo=timezone(timedelta(hours=12))),
            datetime(1, 1, 1, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_due_date_with_another_offset_is_converted_to_utc(sent: datetime, utc: datetime) -> None:
    task = create(due_date=sent)

    assert task.due_date == utc
    assert task.due_date is not None
    assert (task.due_date.utcoffset(), task.due_date.hour) == (timedelta(0), utc.hour)


def test_a_naive_due_date_is_refused() -> None:
    fields = refused_fields(due_date=datetime(2026, 12, 1, 9, 0))

    assert fields == ("due_date",)


@pytest.mark.parametrize(
    "due",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
    ids=["year-10000-in-utc", "year-0-in-utc"],
)
def test_a_due_date_outside_years_1_to_9999_in_utc_is_refused(due: datetime) -> None:
    fields = refused_fields(due_date=due)

    assert fields == ("due_date",)


# --- owner and several errors at once -------------------------------------------------


@pytest.mark.parametrize("user_id", ["", "u" * 256, "nul\x00", "\udc00"])
def test_an_unusable_owner_id_is_refused(user_id: str) -> None:
    fields = refused_fields(user_id=user_id)

    assert fields == ("user_id",)


def test_an_owner_id_of_255_characters_is_accepted() -> None:
    task = create(user_id="u" * 255)

    assert task.user_id == "u" * 255


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        create(title=" ", description="\x00", due_date=datetime(2026, 1, 1))

    assert caught.value.fields == ("title", "description", "due_date")
    assert all(error.source == "body" for error in caught.value.errors)
    assert caught.value.errors[0].kind == "string_too_short"
