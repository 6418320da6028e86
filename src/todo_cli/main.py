"""``todo``: serve the API, migrate the database, mint a dev token, manage tasks.

Exit codes: 0 ok, 1 a domain or configuration error (one line on stderr, no
traceback), 2 a usage error.
"""

from __future__ import annotations

from typing import Any

import click

from todo_adapters.jwt import mint_hs256_token
from todo_adapters.settings import SettingsError
from todo_adapters.sql import current_revision, downgrade_database, upgrade_database
from todo_adapters.startup import ConfigurationError
from todo_cli.context import CliContext
from todo_cli.durations import Duration
from todo_cli.envfile import ensure_env_file
from todo_cli.tasks import tasks_group
from todo_core.errors import StorageUnavailable, TodoError

DEV_USER = "dev-user"
DEV_TOKEN_TTL_SECONDS = 24 * 3600
STORAGE_HINT = "hint: is DATABASE_URL reachable and migrated? ('todo db upgrade' migrates it)"


class TodoGroup(click.Group):
    """Turns domain and configuration errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (TodoError, ConfigurationError, SettingsError) as error:
            for line in str(error).splitlines():
                click.echo(f"error: {line}", err=True)
            if isinstance(error, StorageUnavailable):
                click.echo(STORAGE_HINT, err=True)
            ctx.exit(1)


@click.group(cls=TodoGroup)
@click.version_option(package_name="todo-core")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """todo-core: the task service and its tools."""
    ctx.obj = CliContext()
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the HTTP API (same as python -m todo_http)."""
    run_server(host=host, port=port, workers=workers, reload=reload)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def dev(ctx: click.Context, host: str, port: int) -> None:
    """Set up and serve for development: .env once, migrate, print a curl line, serve."""
    if ensure_env_file():
        _say("wrote .env with a freshly generated JWT_SECRET (keep it out of git)")
    cli_context: CliContext = ctx.obj
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


def run_server(*, host: str, port: int, workers: int, reload: bool) -> None:
    """The HTTP server (imported here so that task commands never load FastAPI)."""
    from todo_http.server import serve  # noqa: PLC0415

    serve(host=host, port=port, workers=workers, reload=reload)


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command()
@click.argument("revision", default="head")
@click.pass_obj
def upgrade(cli_context: CliContext, revision: str) -> None:
    """Migrate up to REVISION (default: the latest)."""
    upgrade_database(cli_context.settings.database_url, revision=revision)
    _say(f"database at {current_revision(cli_context.settings.database_url) or 'base'}")


@db.command()
@click.argument("revision")
@click.pass_obj
def downgrade(cli_context: CliContext, revision: str) -> None:
    """Migrate down to REVISION ('base' empties the schema)."""
    downgrade_database(cli_context.settings.database_url, revision)
    _say(f"database at {current_revision(cli_context.settings.database_url) or 'base'}")


@db.command()
@click.pass_obj
def current(cli_context: CliContext) -> None:
    """Print the current revision."""
    click.echo(current_revision(cli_context.settings.database_url) or "base")


@cli.command()
@click.argument("subject")
@click.option("--ttl", type=Duration(), default="1h", show_default=True, help="90s, 30m, 1h, 7d")
@click.option("--email")
@click.pass_obj
def token(cli_context: CliContext, subject: str, ttl: int, email: str | None) -> None:
    """Print an HS256 token for SUBJECT signed with the configured secret."""
    settings = cli_context.settings
    if settings.jwt_secret is None and settings.jwks_url is not None:
        raise ConfigurationError(
            "only JWKS_URL is configured: tokens come from your auth server "
            "(set JWT_SECRET to mint test tokens here)"
        )
    if settings.jwt_secret is None:
        raise ConfigurationError("JWT_SECRET (or BETTER_AUTH_SECRET) must be set to mint tokens")
    click.echo(
        mint_hs256_token(
            secret=settings.jwt_secret.get_secret_value(),
            subject=subject,
            ttl_seconds=ttl,
            email=email,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )


cli.add_command(tasks_group)


def _say(message: str) -> None:
    click.echo(message, err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="todo")


__all__ = ["cli", "main"]
