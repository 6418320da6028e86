"""The tools (API.md section 12): parse, call one use case, shape the reply.

Each handler is synchronous, as the use cases are; the server runs it in a
worker thread (``todo_mcp.server``). A docstring is the tool's description,
the one text a model reads to choose a tool: it says what the tool does and
what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from mcp.types import ToolAnnotations

from todo_core.edits import TaskChanges, TaskDraft
from todo_core.services import TaskService
from todo_mcp.arguments import (
    AddTask,
    Arguments,
    CompleteTask,
    ListTasks,
    NoArguments,
    OneTask,
    UpdateTask,
)
from todo_mcp.fields import Schema
from todo_mcp.results import DELETED, STATS, TAGS, TASK, TASK_PAGE, Document
from todo_presentation.documents import stats_document, tags_document, task_document
from todo_presentation.listing import parse_listing

A = TypeVar("A", bound=Arguments)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts (the token's ``sub``, or ``todo mcp --user``) and the use cases."""

    actor: str
    service: TaskService


Handler = Callable[[A, Caller], Document]


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[A]):
    """A tool: its name, its arguments model, its output schema and its handler."""

    name: str
    title: str
    arguments: type[A]
    output: Schema
    handler: Handler[A]
    annotations: ToolAnnotations

    @property
    def description(self) -> str:
        return " ".join((self.handler.__doc__ or "").split())


TOOLS: Final[list[ToolSpec[Any]]] = []


def tool(
    arguments: type[A],
    *,
    title: str,
    output: Schema,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
) -> Callable[[Handler[A]], Handler[A]]:
    """Register the decorated handler as the tool of the same name."""

    def register(handler: Handler[A]) -> Handler[A]:
        hints = ToolAnnotations(
            title=title,
            readOnlyHint=read_only,
            destructiveHint=destructive,
            idempotentHint=idempotent,
            openWorldHint=False,
        )
        TOOLS.append(ToolSpec(handler.__name__, title, arguments, output, handler, hints))
        return handler

    return register


@tool(AddTask, title="Add a task", output=TASK)
def add_task(args: AddTask, caller: Caller) -> Document:
    """Create a task for the user and return it (status `pending`). Only `title` is required;
    `recurrence` makes it repeat (it then needs a `due_date`)."""
    draft = TaskDraft(**args.draft_fields())
    return task_document(caller.service.create(actor=caller.actor, owner=args.user_id, draft=draft))


@tool(ListTasks, title="List tasks", output=TASK_PAGE, read_only=True)
def list_tasks(args: ListTasks, caller: Caller) -> Document:
    """List the user's tasks, filtered, sorted and paged; newest first unless `sort` says
    otherwise. Returns `tasks`, the `total` matching the filters, and `next_cursor` when more
    remain. For "what is overdue?" pass `overdue: true`."""
    request = parse_listing(args.listing_pairs())
    page = caller.service.list(actor=caller.actor, owner=args.user_id, request=request)
    tasks = [task_document(task) for task in page.items]
    return {"tasks": tasks, "total": page.total, "next_cursor": page.next_cursor}


@tool(OneTask, title="Get a task", output=TASK, read_only=True)
def get_task(args: OneTask, caller: Caller) -> Document:
    """Return one of the user's tasks by its id."""
    task = caller.service.get(actor=caller.actor, owner=args.user_id, task_id=args.task_id)
    return task_document(task)


@tool(UpdateTask, title="Update a task", output=TASK, idempotent=True)
def update_task(args: UpdateTask, caller: Caller) -> Document:
    """Change the given fields of a task and return it; fields left out stay as they are."""
    changes = TaskChanges(**args.changed_fields())
    written = caller.service.update(
        actor=caller.actor, owner=args.user_id, task_id=args.task_id, changes=changes
    )
    return task_document(written.task)


@tool(CompleteTask, title="Complete a task", output=TASK, idempotent=True)
def complete_task(args: CompleteTask, caller: Caller) -> Document:
    """Mark a task completed (or, with `completed: false`, reopen it) and return it. Completing
    a recurring task creates its next occurrence, named by `next_occurrence_id`."""
    completed = True if args.completed is None else args.completed
    written = caller.service.set_completed(
        actor=caller.actor, owner=args.user_id, task_id=args.task_id, completed=completed
    )
    return task_document(written.task)


@tool(OneTask, title="Delete a task", output=DELETED, destructive=True)
def delete_task(args: OneTask, caller: Caller) -> Document:
    """Delete a task for good (there is no undo); returns its id."""
    caller.service.delete(actor=caller.actor, owner=args.user_id, task_id=args.task_id)
    return {"id": str(args.task_id), "deleted": True}


@tool(NoArguments, title="Count tasks", output=STATS, read_only=True)
def task_stats(args: NoArguments, caller: Caller) -> Document:
    """Count the user's tasks: in all, per status, per priority, per tag, and how many are
    overdue."""
    return stats_document(caller.service.stats(actor=caller.actor, owner=args.user_id))


@tool(NoArguments, title="List tags", output=TAGS, read_only=True)
def list_tags(args: NoArguments, caller: Caller) -> Document:
    """List every tag on the user's tasks with how many tasks carry it, by name."""
    return {"tags": tags_document(caller.service.tags(actor=caller.actor, owner=args.user_id))}
