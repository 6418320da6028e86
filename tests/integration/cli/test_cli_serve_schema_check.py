"""``todo serve`` refuses an unmigrated database in one line; ``todo dev`` migrates first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from tests.integration.cli.conftest import SECRET
from todo_adapters.sql import current_revision, upgrade_database
from todo_adapters.sql.migrations import head_revision
from todo_bootstrap import cli as todo_command


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn never really starts: the calls it would have served are recorded."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app}))
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "JWT_SECRET", "BETTER_AUTH_SECRET", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    return calls


def run(*args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        todo_command.todo(), list(args), obj=todo_command.context(), env=env, catch_exceptions=False
    )
    return result.exit_code, result.stderr


def test_serve_refuses_an_unmigrated_database_with_one_line(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    code, err = run("serve", DATABASE_URL=url, JWT_SECRET=SECRET)

    assert code == 1
    assert served == []
    assert err == (
        f"error: database schema is at none, this version needs {head_revision()}: "
        "run 'todo db upgrade'\n"
    )


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_postgres_database_with_one_line(
    served: list[dict[str, Any]], fresh_postgres_url: str
) -> None:
    code, err = run("serve", DATABASE_URL=fresh_postgres_url, JWT_SECRET=SECRET)

    assert code == 1
    assert served == []
    assert err.startswith("error: database schema is at none, this version needs ")
    assert err.count("\n") == 1


def test_serve_starts_on_a_migrated_database(served: list[dict[str, Any]], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade_database(url)

    code, err = run("serve", DATABASE_URL=url, JWT_SECRET=SECRET)

    assert (code, err) == (0, "")
    assert [call["app"] for call in served] == ["todo_bootstrap.serve:serving_app"]


def test_dev_migrates_first_so_it_serves_a_fresh_database(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'dev.db'}"

    code, err = run("dev", DATABASE_URL=url, JWT_SECRET=SECRET)

    assert code == 0, err
    assert len(served) == 1
    assert current_revision(url) == head_revision()
