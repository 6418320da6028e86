"""``todo token``, ``todo db`` and the checks ``todo serve`` makes before serving."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.cli.conftest import SECRET
from todo_adapters.jwt import TokenVerifier
from todo_adapters.settings import load_settings
from todo_adapters.startup import ConfigurationError, preflight
from todo_bootstrap.cli import context, todo
from todo_bootstrap.container import Container
from todo_cli.envfile import ensure_env_file


def run(*args: str, **env: str | None) -> tuple[int, str, str]:
    result = CliRunner().invoke(todo(), list(args), obj=context(), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _empty_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "JWT_SECRET", "BETTER_AUTH_SECRET", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_token_prints_a_token_the_server_accepts_for_that_user() -> None:
    code, out, _ = run(
        "token", "alice", "--ttl", "5m", "--email", "a@example.com", JWT_SECRET=SECRET
    )

    assert code == 0
    assert TokenVerifier(secret=SECRET).verify(out.strip()) == "alice"


def test_token_refuses_when_only_a_jwks_url_is_configured() -> None:
    code, _, err = run("token", "alice", JWKS_URL="https://auth.example.com/api/auth/jwks")

    assert code == 1
    assert "only JWKS_URL is configured" in err


def test_token_rejects_a_malformed_ttl_as_a_usage_error() -> None:
    code, _, _ = run("token", "alice", "--ttl", "soon", JWT_SECRET=SECRET)

    assert code == 2


def test_db_upgrade_current_and_downgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    before = run("db", "current", DATABASE_URL=url, JWT_SECRET=SECRET)
    upgraded = run("db", "upgrade", DATABASE_URL=url, JWT_SECRET=SECRET)
    at_head = run("db", "current", DATABASE_URL=url, JWT_SECRET=SECRET)
    downgraded = run("db", "downgrade", "base", DATABASE_URL=url, JWT_SECRET=SECRET)

    assert before[1].strip() == "base"
    assert upgraded[0] == 0
    assert at_head[1].strip() not in ("", "base")
    assert downgraded[0] == 0
    assert run("db", "current", DATABASE_URL=url, JWT_SECRET=SECRET)[1].strip() == "base"


@pytest.mark.postgres
def test_db_upgrade_and_downgrade_on_a_fresh_postgres_database(fresh_postgres_url: str) -> None:
    env = {"DATABASE_URL": fresh_postgres_url, "JWT_SECRET": SECRET}

    upgraded = run("db", "upgrade", **env)
    head = run("db", "current", **env)[1].strip()
    downgraded = run("db", "downgrade", "base", **env)

    assert upgraded[0] == 0
    assert head != "base"
    assert downgraded[0] == 0
    assert run("db", "current", **env)[1].strip() == "base"


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "JWKS_URL must be set"),
        ({"JWT_SECRET": "short"}, "at least 32 bytes"),
        ({"JWT_SECRET": SECRET, "DATABASE_URL": "not a url"}, "DATABASE_URL: cannot be parsed"),
    ],
)
def test_serve_refuses_bad_settings_with_one_line_each(env: dict[str, str], reason: str) -> None:
    code, _, err = run("serve", **env)

    assert code == 1
    assert reason in err
    assert all(line.startswith("error: ") for line in err.strip().splitlines())


def test_start_up_retries_an_unreachable_postgres_then_gives_up_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    container = Container()
    container.settings.override(
        load_settings(
            _env_file=None,
            database_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
            jwt_secret=SECRET,
        )
    )
    retries: list[str] = []

    with pytest.raises(ConfigurationError, match="cannot reach"):
        preflight(container, report=retries.append, wait_seconds=2.0, sleep=lambda _: None)

    assert retries
    assert "not reachable yet (OperationalError: " in retries[0]
    assert "; retrying in" in retries[0]


def test_the_development_env_file_is_written_once_with_a_fresh_secret(tmp_path: Path) -> None:
    example = tmp_path / ".env.example"
    example.write_text("DATABASE_URL=sqlite:///./todo.db\nJWT_SECRET=\n", encoding="utf-8")
    target = tmp_path / ".env"

    created = ensure_env_file(target, example)
    first = target.read_text(encoding="utf-8")
    created_again = ensure_env_file(target, example)

    assert created is True
    assert created_again is False
    assert target.read_text(encoding="utf-8") == first
    secret = next(line for line in first.splitlines() if line.startswith("JWT_SECRET="))
    assert len(secret.removeprefix("JWT_SECRET=")) >= 32
