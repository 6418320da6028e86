"""Run the ``todo`` command against a real database: SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from todo_bootstrap import cli as todo_command

SECRET = "cli-test-secret-that-is-long-enough-0123456789"


@dataclass
class Todo:
    """Invokes ``todo`` in-process with a clean environment of its own."""

    runner: CliRunner
    database_url: str
    workdir: Path

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(
            todo_command.todo(),
            list(args),
            obj=todo_command.context(),
            env={"DATABASE_URL": self.database_url, "JWT_SECRET": SECRET, "JWKS_URL": None},
            catch_exceptions=False,
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind (tests use fresh user ids)."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def todo(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Todo:
    """The command, run from an empty directory (no stray ``.env`` is read)."""
    monkeypatch.chdir(tmp_path)
    return Todo(CliRunner(), database_url, tmp_path)


@pytest.fixture
def user() -> str:
    """A user id no other test uses."""
    return f"cli-{uuid.uuid4().hex[:12]}"
