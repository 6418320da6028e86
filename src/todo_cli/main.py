"""``todo``: migrate the database, mint a dev token, manage tasks.

The composition root (``todo_bootstrap.cli``) adds the commands that start a
server (``serve``, ``dev``) and hands in the services as the context object.
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
from todo_cli.tasks import tasks_group
from todo_core.errors import StorageUnavailable, TodoError

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
    if not isinstance(ctx.obj, CliContext):
        raise click.UsageError("start the todo command through todo_bootstrap.cli:main")
    ctx.call_on_close(ctx.obj.close)


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


__all__ = ["TodoGroup", "cli"]
