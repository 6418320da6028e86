"""How tasks look on a terminal: a readable table, or the API's JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click
from rich.console import Console
from rich.table import Table

from todo_cli.formats import task_to_dict
from todo_core.model import Task
from todo_core.queries import Page, TagCount
from todo_core.services import Written
from todo_core.timestamps import format_timestamp
from todo_presentation.documents import tags_document


def print_json(value: object) -> None:
    """Pretty JSON on stdout, non-ASCII kept readable."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def print_task(task: Task, *, as_json: bool) -> None:
    """One task: JSON, or a short field list."""
    if as_json:
        print_json(task_to_dict(task))
        return
    for name, value in task_to_dict(task).items():
        click.echo(f"{name:>12}: {'' if value is None else value}")


def print_written(written: Written, *, as_json: bool) -> None:
    """The task a write left; the occurrence it created, if any, is named on stderr."""
    print_task(written.task, as_json=as_json)
    for created in written.created:
        due = format_timestamp(created.due_date) if created.due_date else "no due date"
        click.echo(f"next occurrence: {created.id} (due {due})", err=True)


def print_tags(tags: Sequence[TagCount], *, as_json: bool) -> None:
    """The tags with their counts: JSON as the API's, or one per line."""
    if as_json:
        print_json(tags_document(tags))
        return
    for tag in tags:
        click.echo(f"{tag.count:>6}  {tag.name}")


def print_page(page: Page, *, as_json: bool) -> None:
    """A page of tasks as a table (or JSON), then the count and the next cursor."""
    if as_json:
        print_json([task_to_dict(task) for task in page.items])
        return
    Console(soft_wrap=True).print(_table(page.items))
    click.echo(f"{len(page.items)} of {page.total} matching task(s)")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}")


def _table(tasks: Sequence[Task]) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for column in ("id", "title", "status", "priority", "due", "tags", "v"):
        table.add_column(column, overflow="fold")
    for task in tasks:
        due = format_timestamp(task.due_date)[:16].replace("T", " ") if task.due_date else ""
        table.add_row(
            str(task.id),
            task.title,
            task.status.value,
            task.priority.value,
            due,
            ", ".join(task.tags),
            str(task.version),
        )
    return table
