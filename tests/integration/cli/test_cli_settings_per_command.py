"""Each command demands only the settings it uses: the database, the secret, or both."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from tests.integration.cli.conftest import SECRET
from todo_adapters.sql import current_revision
from todo_adapters.sql.migrations import head_revision
from todo_bootstrap import cli as todo_command

README = Path(__file__).resolve().parents[3] / "README.md"
TOKEN_NAMES = ("JWT_SECRET", "BETTER_AUTH_SECRET", "JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE")


def run(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        todo_command.todo(), list(args), obj=todo_command.context(), env=env, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _nothing_but_what_the_test_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty working directory (no ``.env``) and no setting from the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", *TOKEN_NAMES):
        monkeypatch.delenv(name, raising=False)


def _neon_migration_line() -> str:
    """The README's ``todo db upgrade`` line of its Neon section, as a reader copies it."""
    section = README.read_text(encoding="utf-8").split("### Neon", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    [line] = [line for line in block.group(1).splitlines() if "todo db upgrade" in line]
    return line


def _run_the_readme_line(database_url: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run that line with bash from a directory holding ``.venv``, with only ``DATABASE_URL``."""
    (workdir / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url}
    return subprocess.run(
        ["bash", "-c", _neon_migration_line()],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_db_upgrade_needs_only_the_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'only-db.db'}"

    code, _, err = run("db", "upgrade", DATABASE_URL=url)

    assert (code, err.count("error:")) == (0, 0)
    assert current_revision(url) == head_revision()


def test_db_current_and_downgrade_need_only_the_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'only-db.db'}"
    run("db", "upgrade", DATABASE_URL=url)

    current = run("db", "current", DATABASE_URL=url)
    downgraded = run("db", "downgrade", "base", DATABASE_URL=url)

    assert current[:2] == (0, f"{head_revision()}\n")
    assert downgraded[0] == 0
    assert current_revision(url) is None


def test_task_commands_need_only_the_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'only-db.db'}"
    run("db", "upgrade", DATABASE_URL=url)

    added = run("tasks", "add", "Buy milk", "--user", "alice", "--json", DATABASE_URL=url)
    listed = run("tasks", "list", "--user", "alice", "--json", DATABASE_URL=url)

    assert added[0] == 0, added[2]
    assert listed[0] == 0, listed[2]
    assert [task["title"] for task in json.loads(listed[1])] == ["Buy milk"]


def test_token_needs_only_the_secret() -> None:
    code, out, err = run("token", "alice", JWT_SECRET=SECRET)

    assert (code, err) == (0, "")
    assert out.count(".") == 2


def test_token_without_a_secret_says_the_secret_is_what_it_needs() -> None:
    code, _, err = run("token", "alice")

    assert code == 1
    assert err == "error: JWT_SECRET (or BETTER_AUTH_SECRET) must be set to mint tokens\n"


def test_serve_needs_a_way_to_verify_tokens_and_says_so_on_one_line(tmp_path: Path) -> None:
    code, _, err = run("serve", DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}")

    assert code == 1
    assert err == (
        "error: JWT_SECRET (or BETTER_AUTH_SECRET) or JWKS_URL must be set to verify tokens\n"
    )


def test_the_readme_neon_migration_line_runs_as_written_with_only_database_url(
    tmp_path: Path,
) -> None:
    # The line strips "-pooler" from DATABASE_URL; a SQLite path carrying it shows that too.
    target = tmp_path / "neon.db"

    result = _run_the_readme_line(f"sqlite:///{tmp_path / 'neon-pooler.db'}", tmp_path)

    assert result.returncode == 0, result.stderr
    assert current_revision(f"sqlite:///{target}") == head_revision()


@pytest.mark.postgres
def test_the_readme_neon_migration_line_migrates_postgres_with_only_database_url(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    # A pooled-looking host that only the README's substitution turns into the real one.
    url = make_url(fresh_postgres_url)
    pooled = url.set(host=f"{url.host}-pooler").render_as_string(hide_password=False)

    result = _run_the_readme_line(pooled, tmp_path)

    assert result.returncode == 0, result.stderr
    assert current_revision(fresh_postgres_url) == head_revision()
