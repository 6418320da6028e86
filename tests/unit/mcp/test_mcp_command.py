"""``todo mcp`` and the served app: the composition root puts the MCP adapter in place."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit.http.support import SECRET
from todo_adapters.settings import load_settings
from todo_bootstrap import cli as todo_command
from todo_bootstrap.logs import quiet_sdk_level
from todo_bootstrap.serve import served_logging, serving_app


@pytest.fixture
def run_todo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return CliRunner()


def _invoke(runner: CliRunner, *args: str, **env: str | None) -> tuple[int, str]:
    result = runner.invoke(
        todo_command.todo(),
        list(args),
        obj=todo_command.context(),
        env={"JWT_SECRET": None, "BETTER_AUTH_SECRET": None, "JWKS_URL": None, **env},
    )
    return result.exit_code, result.output


def test_todo_mcp_needs_a_user(run_todo: CliRunner) -> None:
    code, output = _invoke(run_todo, "mcp", "--help")
    assert code == 0
    assert "--user" in output

    code, output = _invoke(run_todo, "mcp", DATABASE_URL="sqlite://")

    assert code == 2
    assert "Missing option '--user'" in output


def test_todo_mcp_refuses_an_unusable_database_url_in_one_line(run_todo: CliRunner) -> None:
    code, output = _invoke(run_todo, "mcp", "--user", "alice", DATABASE_URL="not a url")

    assert code == 1
    assert output.startswith("error: DATABASE_URL: cannot be parsed")
    assert "Traceback" not in output


def test_todo_mcp_refuses_an_empty_user_id(run_todo: CliRunner) -> None:
    code, output = _invoke(run_todo, "mcp", "--user", "", DATABASE_URL="sqlite://")

    assert code == 1
    assert "error: user_id: User id must be 1-255 characters" in output


def test_the_served_app_answers_mcp_beside_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("JWT_SECRET", SECRET)
    thresholds = gc.get_threshold()

    try:
        app = serving_app()
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

    assert "/mcp" in {getattr(route, "path", None) for route in app.routes}
    assert "/api/tasks" in app.openapi()["paths"]


@pytest.mark.parametrize(
    ("level", "sdk_level"),
    [("DEBUG", "DEBUG"), ("INFO", "WARNING"), ("WARNING", "WARNING"), ("ERROR", "ERROR")],
)
def test_the_sdks_request_lines_stay_out_of_the_served_logs(level: str, sdk_level: str) -> None:
    settings = load_settings(_env_file=None, jwt_secret=SECRET, log_level=level)

    config = served_logging(settings)

    assert quiet_sdk_level(level) == sdk_level
    assert config["loggers"]["mcp"] == {"level": sdk_level}
    assert config["root"]["level"] == level
