"""The MCP server: the tools of ``todo_mcp.tools`` on the SDK's ``FastMCP``, for either transport.

FastMCP builds a tool from a function's signature, coerces arguments
(``"5"`` for a number) and prefixes every error with "Error executing tool".
Here each tool is a ``TodoTool`` whose ``run`` hands the raw arguments to a
``Dispatcher``, which:

- validates them with the tool's own arguments model (``todo_mcp.arguments``),
  exactly as its published input schema says, no JSON-in-a-string guessing;
- learns who acts (``identify``: the bearer token's user over HTTP, the
  ``--user`` of ``todo mcp`` over stdio);
- runs the handler, synchronous like the use cases, in a worker thread, at
  most ``concurrency`` at once (the database pool's size);
- answers a result with the document as structured content and JSON text, or
  a tool error (``isError``) with the API's message. Nothing escapes: an
  unexpected failure is logged and answered "Internal server error", and an
  unavailable database logs its cause (a WARNING per call).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Final

import anyio
import anyio.to_thread
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.tools import Tool
from mcp.server.fastmcp.utilities.func_metadata import FuncMetadata
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult
from pydantic import ValidationError

from todo_core.errors import InvalidInput, StorageUnavailable, TodoError
from todo_core.services import TaskService
from todo_mcp.fields import Schema
from todo_mcp.results import refused, structured
from todo_mcp.tools import TOOLS, Caller, ToolSpec

logger = logging.getLogger("todo_mcp")

SERVER_NAME: Final = "todo-core"
INTERNAL_ERROR: Final = "Internal server error"
INSTRUCTIONS: Final = (
    "Tools to manage the signed-in user's tasks: add_task, list_tasks (filters, sort, paging), "
    "get_task, update_task, complete_task, delete_task, task_stats, list_tags. A task is referred "
    "to by its `id` (`task_id` in arguments); find it with list_tasks (e.g. `search`, `tag`). "
    "Dates are ISO 8601: `2026-12-01` or `2026-12-01T17:00:00Z`, in UTC unless an offset is "
    "given. A repeating task carries an RRULE in `recurrence` (`FREQ=WEEKLY;BYDAY=FR`)."
)

#: Who acts for a tool call, from its MCP context (``None`` outside a request).
Identify = Callable[[Context[Any, Any, Any] | None], str]


def acting_as(user: str) -> Identify:
    """Every call acts for ``user`` (stdio: the user the command was started for)."""
    return lambda _context: user


def error_message(error: TodoError) -> str:
    """The API's message for a domain error, as a model reads it."""
    if isinstance(error, InvalidInput):
        return f"Invalid input: {error}"
    if isinstance(error, StorageUnavailable):
        return f"{error.message}: the task database cannot be reached; try again in a few seconds"
    return error.message


def argument_errors(error: ValidationError) -> str:
    """Every bad argument, named, without echoing its value."""
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or '(arguments)'}: {item['msg']}"
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    return "Invalid arguments: " + "; ".join(problems)


class Dispatcher:
    """Runs a tool call from raw arguments to a ``CallToolResult``; never raises."""

    def __init__(
        self, *, service: Callable[[], TaskService], identify: Identify, concurrency: int
    ) -> None:
        self._service = service
        self._identify = identify
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def call(
        self, spec: ToolSpec[Any], raw: dict[str, Any], context: Context[Any, Any, Any] | None
    ) -> CallToolResult:
        try:
            arguments = spec.arguments.model_validate(raw)
        except ValidationError as error:
            return refused(argument_errors(error))
        try:
            caller = Caller(actor=self._identify(context), service=self._service())
            document = await anyio.to_thread.run_sync(
                functools.partial(spec.handler, arguments, caller), limiter=self._limiter
            )
        except StorageUnavailable as error:  # the client reads why in general, the log exactly
            logger.warning("tool %s: storage unavailable: %s", spec.name, error.cause or "no cause")
            return refused(error_message(error))
        except TodoError as error:
            return refused(error_message(error))
        except Exception:
            logger.exception("tool %s failed", spec.name)
            return refused(INTERNAL_ERROR)
        return structured(document)


class TodoTool(Tool):
    """A tool whose ``fn`` takes the raw arguments and the context and returns the result."""

    async def run(
        self,
        arguments: dict[str, Any],
        context: Context[Any, Any, Any] | None = None,
        convert_result: bool = False,
    ) -> Any:
        return await self.fn(arguments, context)


def input_schema(spec: ToolSpec[Any]) -> Schema:
    """The arguments model's JSON schema, its Python docstring left out."""
    schema: Schema = spec.arguments.model_json_schema(by_alias=True)
    schema.pop("description", None)
    return schema


def todo_tool(spec: ToolSpec[Any], dispatcher: Dispatcher) -> TodoTool:
    """The SDK's tool for ``spec``: schemas for ``tools/list``, the dispatcher for calls."""
    return TodoTool(
        fn=functools.partial(dispatcher.call, spec),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=input_schema(spec),
        fn_metadata=FuncMetadata(arg_model=spec.arguments, output_schema=spec.output),
        is_async=True,
        context_kwarg=None,
        annotations=spec.annotations,
    )


def build_server(
    *,
    service: Callable[[], TaskService],
    identify: Identify,
    concurrency: int,
    http_path: str = "/mcp",
    max_body_bytes: int = 65536,
) -> FastMCP[Any]:
    """The server with every tool; ``service`` is called per tool call (the container's provider).

    The HTTP options only matter to ``streamable_http_app``: stateless (every
    request stands alone, so any worker behind a load balancer can answer
    it), JSON responses rather than an event stream, and no DNS-rebinding
    check on ``Host``: callers authenticate with a bearer token, which a
    rebinding page cannot send on their behalf, and the app is served under
    whatever host name the deployment has.
    """
    dispatcher = Dispatcher(service=service, identify=identify, concurrency=concurrency)
    return FastMCP(
        name=SERVER_NAME,
        instructions=INSTRUCTIONS,
        tools=[todo_tool(spec, dispatcher) for spec in TOOLS],
        streamable_http_path=http_path,
        stateless_http=True,
        json_response=True,
        max_request_body_size=max_body_bytes,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
