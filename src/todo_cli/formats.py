"""Tasks in the API's JSON shape and as CSV rows, in and out of files.

Reading never writes: it turns every row into a ``TaskDraft`` or a list of
problems naming the row and field, so an import can refuse a file whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from todo_core.edits import TaskDraft, new_task
from todo_core.errors import FieldError, InvalidInput
from todo_core.model import Task, TaskPriority, TaskStatus
from todo_core.timestamps import parse_timestamp
from todo_presentation.documents import task_document
from todo_presentation.words import boolean_word

CSV_FIELDS: Final = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "version",
    "tags",
    "recurrence",
    "next_occurrence_id",
    "remind_at",
)

#: Tags share one CSV cell, joined by this (a tag cannot hold a comma, and rarely this).
CSV_TAG_SEPARATOR: Final = ";"


def task_to_dict(task: Task) -> dict[str, Any]:
    """The task exactly as the HTTP API shows it (the API's own presenter)."""
    return task_document(task)


def write_json(tasks: Iterable[Task]) -> str:
    """A JSON array of tasks in the API's shape."""
    return json.dumps([task_to_dict(task) for task in tasks], ensure_ascii=False, indent=2)


def write_csv(tasks: Iterable[Task]) -> str:
    """CSV with a header; empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for task in tasks:
        row = task_to_dict(task)
        row["tags"] = CSV_TAG_SEPARATOR.join(task.tags)
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row of an import file cannot be taken (``row`` counts from 1)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


class FileFormatError(ValueError):
    """The file as a whole is not JSON or CSV of the expected shape."""


def read_rows(text: str, *, fmt: str) -> list[Mapping[str, Any]]:
    """The raw rows of a ``json`` (array of objects) or ``csv`` (with header) file."""
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise FileFormatError(f"not valid JSON: {error}") from None
        if not isinstance(data, list):
            raise FileFormatError("a JSON import must be an array of task objects")
        return data
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "title" not in reader.fieldnames:
        raise FileFormatError("a CSV import needs a header row with at least a 'title' column")
    return list(reader)


def drafts_from_rows(
    rows: Iterable[Mapping[str, Any]], *, user_id: str
) -> Iterator[TaskDraft | list[RowProblem]]:
    """Each row as a checked draft, or the problems that make it unusable."""
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            yield [RowProblem(number, "(row)", "must be an object")]
            continue
        try:
            draft = _draft(row)
            new_task(draft, user_id=user_id, now=_EPOCH)
        except InvalidInput as error:
            yield [RowProblem(number, e.field, e.message) for e in error.errors]
            continue
        yield draft


def _draft(row: Mapping[str, Any]) -> TaskDraft:
    problems: list[FieldError] = []

    def take(name: str, convert: Callable[[Any], Any]) -> Any:
        value = row.get(name)
        if value is None or value == "":
            return None
        try:
            return convert(value)
        except InvalidInput as error:
            problems.extend(error.errors)
        except (ValueError, TypeError) as error:
            problems.append(FieldError(name, str(error)))
        return None

    title = row.get("title")
    if not isinstance(title, str):
        problems.append(FieldError("title", "Title is required and must be text"))
    description = take("description", _text("description"))
    status = take("status", _enum(TaskStatus))
    priority = take("priority", _enum(TaskPriority))
    due_date = take("due_date", _timestamp("due_date"))
    completed = take("completed", _boolean)
    tags = take("tags", _tags)
    recurrence = take("recurrence", _text("recurrence"))
    remind_at = take("remind_at", _timestamp("remind_at"))
    if problems:
        raise InvalidInput(problems)
    return TaskDraft(
        title=str(title),
        description=description,
        status=status,
        priority=priority or TaskPriority.MEDIUM,
        due_date=due_date,
        completed=completed,
        tags=tags,
        recurrence=recurrence,
        remind_at=remind_at,
    )


def _tags(value: Any) -> list[str]:
    """A JSON array of tags, or a CSV cell of tags joined by ``;``."""
    if isinstance(value, str):
        return [tag for tag in value.split(CSV_TAG_SEPARATOR) if tag.strip()]
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return value
    raise TypeError("tags must be a list of text (in CSV: joined by ';')")


def _enum(kind: type[TaskStatus] | type[TaskPriority]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise ValueError(f"must be one of {allowed}") from None

    return convert


def _text(name: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be text")
        return value

    return convert


def _timestamp(name: str) -> Callable[[Any], datetime]:
    def convert(value: Any) -> datetime:
        if not isinstance(value, str):
            raise TypeError("must be a timestamp string")
        return parse_timestamp(value, field=name)

    return convert


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = boolean_word(value) if isinstance(value, str) else None
    if word is None:
        raise ValueError("must be true or false")
    return word


_EPOCH: Final = parse_timestamp("2000-01-01")
