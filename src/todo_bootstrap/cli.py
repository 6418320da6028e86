"""``todo``: the command line as installed: the CLI adapter, and the commands that serve.

The CLI adapter (``todo_cli``) knows nothing of HTTP; the server commands are
added here, where every adapter may be imported, and the container is handed
to every command as its context.
"""

from __future__ import annotations

import logging
import sys

import click

from todo_adapters.jwt import mint_hs256_token
from todo_adapters.sql import upgrade_database
from todo_adapters.sql.schema import DatabaseStatus, check_database
from todo_bootstrap.container import Container
from todo_bootstrap.logs import MCP_SDK_LOGGER, quiet_sdk_level
from todo_cli.context import CliContext
from todo_cli.envfile import ensure_env_file
from todo_cli.main import cli

DEV_USER = "dev-user"
DEV_TOKEN_TTL_SECONDS = 24 * 3600
STDERR_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the HTTP API (same as python -m todo_bootstrap)."""
    run_server(host=host, port=port, workers=workers, reload=reload)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def dev(cli_context: CliContext, host: str, port: int) -> None:
    """Set up and serve for development: .env once, migrate, print a curl line, serve."""
    if ensure_env_file():
        _say("wrote .env with a freshly generated JWT_SECRET (keep it out of git)")
    settings = cli_context.settings
    upgrade_database(settings.database_url)
    base = f"http://{host}:{port}"
    _say(f"API docs: {base}/docs")
    secret = settings.jwt_secret
    if secret is not None:
        token = mint_hs256_token(
            secret=secret.get_secret_value(), subject=DEV_USER, ttl_seconds=DEV_TOKEN_TTL_SECONDS
        )
        _say(f"try it (a token for user '{DEV_USER}', valid 24 h; 'todo token' makes more):")
        click.echo(f"curl -s -H 'Authorization: Bearer {token}' {base}/api/tasks")
        _say(
            "to create a task, add: -H 'Content-Type: application/json' "
            """-d '{"title": "My first task"}'"""
        )
    run_server(host=host, port=port, workers=1, reload=False)


@click.command(name="mcp")
@click.option("--user", "user", required=True, help="Act as this user id (the sub) in every call.")
@click.pass_obj
def mcp_stdio(cli_context: CliContext, user: str) -> None:
    """Serve the MCP tools over stdio for a local assistant, acting as --user.

    Reads only the database settings (DATABASE_URL, DB_*, LOG_LEVEL); no token
    is involved. Logs go to stderr: stdout carries the protocol.
    """
    from todo_mcp.stdio import serve_stdio  # noqa: PLC0415 - the other commands never load MCP

    settings = cli_context.settings
    logging.basicConfig(level=settings.log_level, stream=sys.stderr, format=STDERR_LOG_FORMAT)
    logging.getLogger(MCP_SDK_LOGGER).setLevel(quiet_sdk_level(settings.log_level))
    check = check_database(cli_context.container.engine())
    if check.status is not DatabaseStatus.OK:
        _say(f"warning: {check.summary}; tool calls will say the service is unavailable until then")
    serve_stdio(service=lambda: cli_context.tasks, user=user, concurrency=settings.db_pool_size)


def run_server(*, host: str, port: int, workers: int, reload: bool) -> None:
    """The HTTP server (imported here so that task commands never load FastAPI)."""
    from todo_bootstrap.serve import serve as serve_http  # noqa: PLC0415

    serve_http(host=host, port=port, workers=workers, reload=reload)


def todo() -> click.Group:
    """The whole ``todo`` group: the CLI adapter's commands and the server commands."""
    cli.add_command(serve)
    cli.add_command(dev)
    cli.add_command(mcp_stdio)
    return cli


def context() -> CliContext:
    """The context object every ``todo`` command runs with: the container, built lazily."""
    return CliContext(Container)


def main() -> None:
    """Console-script entry point."""
    todo()(prog_name="todo", obj=context())


def _say(message: str) -> None:
    click.echo(message, err=True)
