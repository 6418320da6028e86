"""``todo tasks ...``: the use cases called directly, no HTTP in between."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from todo_cli.context import CliContext
from todo_cli.formats import FileFormatError, drafts_from_rows, read_rows, write_csv, write_json
from todo_cli.render import print_page, print_tags, print_task, print_written
from todo_core.changes import DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT
from todo_core.edits import UNSET, TaskChanges, TaskDraft, Unset
from todo_core.errors import TodoError
from todo_core.model import TaskPriority, TaskStatus
from todo_core.queries import MAX_LIMIT
from todo_core.services import ListRequest
from todo_core.timestamps import parse_timestamp
from todo_presentation.documents import changes_document
from todo_presentation.listing import parse_listing

#: Files with at least this many rows get a progress bar.
PROGRESS_THRESHOLD = 1000

pass_cli = click.make_pass_decorator(CliContext)
user_option = click.option("--user", "user", required=True, help="Act as this user id (the sub).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
tag_option = click.option(
    "--tag", "tags", multiple=True, help="A tag (repeat for several; on update they replace all)."
)
repeat_option = click.option(
    "--repeat", help="An RRULE such as FREQ=WEEKLY;BYDAY=FR (needs a due date; '' stops it)."
)
remind_option = click.option("--remind-at", help="When to remind, as --due ('' clears it).")
status_choice = click.Choice([status.value for status in TaskStatus])
priority_choice = click.Choice([priority.value for priority in TaskPriority])


@click.group(name="tasks")
def tasks_group() -> None:
    """Work with a user's tasks directly through the use cases (no HTTP)."""


@tasks_group.command(name="add")
@user_option
@click.argument("title")
@click.option("--description", "-d")
@click.option("--status", type=status_choice)
@click.option("--priority", type=priority_choice, default=TaskPriority.MEDIUM.value)
@click.option("--due", help="Due date: 2026-12-01, 2026-12-01T17:00 or with an offset.")
@tag_option
@repeat_option
@remind_option
@json_option
@pass_cli
def add_task(
    cli: CliContext,
    user: str,
    title: str,
    description: str | None,
    status: str | None,
    priority: str,
    due: str | None,
    tags: tuple[str, ...],
    repeat: str | None,
    remind_at: str | None,
    as_json: bool,
) -> None:
    """Create a task."""
    draft = TaskDraft(
        title=title,
        description=description,
        status=TaskStatus(status) if status else None,
        priority=TaskPriority(priority),
        due_date=parse_timestamp(due) if due else None,
        tags=tags,
        recurrence=repeat or None,
        remind_at=parse_timestamp(remind_at, field="remind_at") if remind_at else None,
    )
    print_task(cli.tasks.create(actor=user, draft=draft), as_json=as_json)


@tasks_group.command(name="list")
@user_option
@click.option("--status", multiple=True, help="Repeat or comma-separate; 'all'.")
@click.option("--priority", multiple=True, help="Repeat or comma-separate; 'all'.")
@click.option("--completed/--not-completed", default=None)
@click.option("--search", "-q", help="Case-insensitive text in title or description.")
@click.option("--due-after", help="Due on or after this time.")
@click.option("--due-before", help="Due before this time.")
@click.option("--tag", multiple=True, help="Carrying any of these tags (repeat or comma-separate).")
@click.option("--remind-after", help="Reminder on or after this time.")
@click.option("--remind-before", help="Reminder before this time.")
@click.option("--overdue/--not-overdue", default=None)
@click.option(
    "--sort",
    help="created_at, updated_at, due_date, priority, status, title, remind_at; -x = desc",
)
@click.option("--order", type=click.Choice(["asc", "desc"]))
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT))
@click.option("--offset", type=click.IntRange(0))
@click.option("--cursor", help="Continue after the page that printed this cursor.")
@json_option
@pass_cli
def list_tasks(cli: CliContext, /, user: str, as_json: bool, **options: Any) -> None:
    """List tasks with the API's filters, sort and paging (parsed by the API's own rules)."""
    page = cli.tasks.list(actor=user, request=parse_listing(query_pairs(options)))
    print_page(page, as_json=as_json)


def query_pairs(options: dict[str, Any]) -> list[tuple[str, str]]:
    """The options as the API's query parameters (``--not-completed`` is ``completed=false``)."""
    pairs: list[tuple[str, str]] = []
    for name, value in options.items():
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if item is None:
                continue
            text = str(item).lower() if isinstance(item, bool) else str(item)
            pairs.append((name, text))
    return pairs


@tasks_group.command(name="show")
@user_option
@click.argument("task_id", type=click.UUID)
@json_option
@pass_cli
def show_task(cli: CliContext, user: str, task_id: uuid.UUID, as_json: bool) -> None:
    """Show one task."""
    print_task(cli.tasks.get(actor=user, task_id=task_id), as_json=as_json)


@tasks_group.command(name="update")
@user_option
@click.argument("task_id", type=click.UUID)
@click.option("--title")
@click.option("--description", "-d", help="New description ('' clears it).")
@click.option("--status", type=status_choice)
@click.option("--priority", type=priority_choice)
@click.option("--due", help="New due date ('' clears it).")
@click.option("--completed/--not-completed", default=None)
@tag_option
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@repeat_option
@remind_option
@click.option("--if-version", type=int, help="Only if the task is still at this version.")
@json_option
@pass_cli
def update_task(
    cli: CliContext,
    user: str,
    task_id: uuid.UUID,
    title: str | None,
    description: str | None,
    status: str | None,
    priority: str | None,
    due: str | None,
    completed: bool | None,
    tags: tuple[str, ...],
    clear_tags: bool,
    repeat: str | None,
    remind_at: str | None,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Change only the given fields of a task."""
    changes = TaskChanges(
        title=UNSET if title is None else title,
        description=UNSET if description is None else (description or None),
        status=UNSET if status is None else TaskStatus(status),
        priority=UNSET if priority is None else TaskPriority(priority),
        due_date=_moment_or_clear(due, "due_date"),
        completed=UNSET if completed is None else completed,
        tags=() if clear_tags else (tags or UNSET),
        recurrence=UNSET if repeat is None else (repeat or None),
        remind_at=_moment_or_clear(remind_at, "remind_at"),
    )
    written = cli.tasks.update(
        actor=user, task_id=task_id, changes=changes, expected_version=if_version
    )
    print_written(written, as_json=as_json)


def _moment_or_clear(text: str | None, field: str) -> datetime | Unset | None:
    """Not given: unchanged; ``''``: cleared; else the timestamp."""
    if text is None:
        return UNSET
    return parse_timestamp(text, field=field) if text else None


@tasks_group.command(name="done")
@user_option
@click.argument("task_id", type=click.UUID)
@click.option("--undo", is_flag=True, help="Reopen a completed task instead.")
@click.option("--if-version", type=int, help="Only if the task is still at this version.")
@json_option
@pass_cli
def complete_task(
    cli: CliContext,
    user: str,
    task_id: uuid.UUID,
    undo: bool,
    if_version: int | None,
    as_json: bool,
) -> None:
    """Mark a task completed (or reopen it with --undo)."""
    written = cli.tasks.set_completed(
        actor=user, task_id=task_id, completed=not undo, expected_version=if_version
    )
    print_written(written, as_json=as_json)


@tasks_group.command(name="tags")
@user_option
@json_option
@pass_cli
def list_tags(cli: CliContext, user: str, as_json: bool) -> None:
    """Every tag on the user's tasks, with how many tasks carry it."""
    print_tags(cli.tasks.tags(actor=user), as_json=as_json)


@tasks_group.command(name="changes")
@user_option
@click.option("--since", help="The token the previous run printed last (none: every task).")
@click.option("--limit", type=click.IntRange(1, MAX_CHANGES_LIMIT), default=DEFAULT_CHANGES_LIMIT)
@pass_cli
def task_changes(cli: CliContext, user: str, since: str | None, limit: int) -> None:
    """What changed since --since, one JSON line per change, then the next token.

    Each line is {"changed": <task>} or {"deleted": {"id", "deleted_at"}}, in
    the order the changes were committed; pages are followed to the end.
    """
    token = since
    while True:
        feed = cli.tasks.changes(actor=user, since=token, limit=limit)
        document = changes_document(feed)
        for task in document["changed"]:
            click.echo(json.dumps({"changed": task}, ensure_ascii=False, separators=(",", ":")))
        for tombstone in document["deleted"]:
            click.echo(json.dumps({"deleted": tombstone}, separators=(",", ":")))
        token = feed.next_token
        if not feed.more:
            break
    click.echo(token)


@tasks_group.command(name="rm")
@user_option
@click.argument("task_id", type=click.UUID)
@click.option("--if-version", type=int, help="Only if the task is still at this version.")
@pass_cli
def remove_task(cli: CliContext, user: str, task_id: uuid.UUID, if_version: int | None) -> None:
    """Delete a task."""
    cli.tasks.delete(actor=user, task_id=task_id, expected_version=if_version)
    click.echo(f"deleted {task_id}")


@tasks_group.command(name="import")
@user_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "csv"]), default="auto")
@pass_cli
def import_tasks(cli: CliContext, user: str, file: Path, fmt: str) -> None:
    """Create tasks from a JSON array or a CSV file; all or nothing."""
    if fmt == "auto":
        fmt = "csv" if file.suffix.lower() == ".csv" else "json"
    try:
        rows = read_rows(file.read_text(encoding="utf-8-sig"), fmt=fmt)
    except (FileFormatError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: {error}") from None
    with _progress(len(rows)) as progress:
        checking = progress.add_task("checking", total=len(rows))
        drafts: list[TaskDraft] = []
        for result in drafts_from_rows(rows, user_id=user):
            if isinstance(result, list):
                raise ImportRefused("; ".join(str(problem) for problem in result))
            drafts.append(result)
            progress.advance(checking)
        writing = progress.add_task("writing", total=len(drafts))
        cli.tasks.create_many(
            actor=user, drafts=drafts, on_progress=lambda n: progress.advance(writing, n)
        )
    click.echo(f"imported {len(drafts)} task(s)")


@tasks_group.command(name="export")
@user_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def export_tasks(cli: CliContext, user: str, fmt: str, output: Path | None) -> None:
    """Write every task of the user, oldest first, as JSON or CSV."""
    request = ListRequest(limit=MAX_LIMIT, descending=False)
    tasks = []
    while True:
        page = cli.tasks.list(actor=user, request=request)
        tasks.extend(page.items)
        if page.next_cursor is None:
            break
        request = ListRequest(limit=MAX_LIMIT, descending=False, cursor=page.next_cursor)
    text = write_csv(tasks) if fmt == "csv" else write_json(tasks) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"exported {len(tasks)} task(s) to {output}", err=True)


class ImportRefused(TodoError):
    """An import file has bad rows; nothing was written."""

    default_message = "Import refused"


def _progress(rows: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=rows < PROGRESS_THRESHOLD,
        transient=True,
    )


__all__ = ["tasks_group"]
