"""Settings from the environment, the container, and ``create_app`` refusing a bad configuration."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from dependency_injector import providers

from tests.unit.http.support import (
    SECRET,
    bearer,
    make_http_settings,
    make_settings,
    memory_container,
    serve,
)
from todo_adapters.memory import InMemoryStore, InMemoryUnitOfWork
from todo_adapters.settings import Settings, SettingsError, load_settings
from todo_adapters.sql import upgrade_database
from todo_bootstrap import container as container_module
from todo_bootstrap.container import Container
from todo_core.edits import TaskDraft
from todo_http.app import create_app
from todo_http.settings import load_http_settings

FRAMEWORKS = {"fastapi", "starlette", "uvicorn", "todo_http"}
ENV_NAMES = (
    "DATABASE_URL",
    "JWT_SECRET",
    "BETTER_AUTH_SECRET",
    "JWKS_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_LEEWAY_SECONDS",
    "JWKS_TIMEOUT_SECONDS",
    "CORS_ORIGINS",
    "MAX_BODY_BYTES",
    "DB_POOL_SIZE",
    "DB_POOL_RECYCLE_SECONDS",
    "DB_POOL_TIMEOUT_SECONDS",
    "DB_CONNECT_TIMEOUT_SECONDS",
    "DB_PING_AFTER_IDLE_SECONDS",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_the_defaults_are_those_of_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    settings = load_settings(_env_file=None)
    http = load_http_settings(_env_file=None)

    assert settings.database_url == "sqlite:///./todo.db"
    assert http.cors_origins == ("http://localhost:3000",)
    assert http.max_body_bytes == 65536
    assert (settings.jwt_leeway_seconds, settings.jwks_timeout_seconds) == (30, 5)
    assert settings.db_pool_size == 10
    assert (settings.db_pool_recycle_seconds, settings.db_pool_timeout_seconds) == (1800, 10)
    assert settings.db_ping_after_idle_seconds == 1
    assert settings.db_connect_timeout_seconds == 5
    assert (settings.log_level, settings.log_format) == ("INFO", "text")


def test_the_secret_is_also_read_from_better_auth_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "b" * 32)

    assert load_settings(_env_file=None).jwt_secret.get_secret_value() == "b" * 32  # type: ignore[union-attr]


def test_jwt_secret_wins_over_better_auth_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "b" * 32)
    monkeypatch.setenv("JWT_SECRET", "j" * 32)

    assert load_settings(_env_file=None).jwt_secret.get_secret_value() == "j" * 32  # type: ignore[union-attr]


def test_the_secret_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    settings = load_settings(_env_file=None)

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_a_jwks_url_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWKS_URL", "https://app.example.com/api/auth/jwks")

    assert load_settings(_env_file=None).jwt_secret is None


def test_settings_load_without_any_token_setting_for_commands_that_verify_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.example.com/neondb")

    settings = load_settings(_env_file=None)

    assert settings.database_url == "postgresql://app:pw@db.example.com/neondb"
    assert (settings.jwt_secret, settings.jwks_url) == (None, None)


def test_the_token_verifier_demands_a_secret_or_a_jwks_url_in_one_line() -> None:
    container = Container()
    container.settings.override(providers.Callable(load_settings, _env_file=None))

    with pytest.raises(SettingsError) as raised:
        container.token_verifier()

    assert raised.value.problems == (
        "JWT_SECRET (or BETTER_AUTH_SECRET) or JWKS_URL must be set to verify tokens",
    )


def test_the_database_and_the_use_cases_are_built_without_any_token_setting() -> None:
    container = Container()
    container.settings.override(
        providers.Callable(load_settings, _env_file=None, database_url="sqlite://")
    )
    upgrade_database(container.engine())

    task = container.task_service().create(actor="alice", draft=TaskDraft(title="t"))

    assert container.task_service().get(actor="alice", task_id=task.id).title == "t"


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("CORS_ORIGINS", " https://a.example , https://b.example/,")

    assert load_http_settings(_env_file=None).cors_origins == (
        "https://a.example",
        "https://b.example",
    )


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "")
    monkeypatch.setenv("BETTER_AUTH_SECRET", SECRET)

    assert load_settings(_env_file=None).jwt_secret.get_secret_value() == SECRET  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        (
            {"JWT_SECRET": "short"},
            "JWT_SECRET (or BETTER_AUTH_SECRET): must be at least 32 bytes, got 5",
        ),
        ({"JWT_SECRET": SECRET, "DATABASE_URL": "not a url"}, "DATABASE_URL: cannot be parsed"),
        ({"JWT_SECRET": SECRET, "LOG_FORMAT": "xml"}, "LOG_FORMAT: "),
    ],
)
def test_a_bad_configuration_is_one_line_per_problem(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], problem: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)

    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem)
    assert "\n" not in raised.value.problems[0]
    assert "short" not in str(raised.value)


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS: must list explicit origins"),
        ({"MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES: "),
    ],
)
def test_a_bad_http_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], problem: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_http_settings(_env_file=None)

    assert [line[: len(problem)] for line in raised.value.problems] == [problem]


def test_several_problems_are_several_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "short")
    monkeypatch.setenv("DATABASE_URL", "::")

    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)

    assert len(str(raised.value).splitlines()) == 2


def test_create_app_refuses_to_start_without_a_way_to_verify_tokens() -> None:
    container = Container()
    container.settings.override(providers.Callable(load_settings, _env_file=None))

    with pytest.raises(SettingsError, match="JWKS_URL must be set"):
        create_app(container)


def test_overriding_the_unit_of_work_swaps_storage_under_the_real_use_cases() -> None:
    store = InMemoryStore()
    container = Container()
    container.settings.override(providers.Object(make_settings()))
    container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, store))

    task = container.task_service().create(actor="alice", draft=TaskDraft(title="t"))

    assert [stored.id for stored in store.tasks.values()] == [task.id]


def test_nothing_is_built_when_the_modules_are_imported() -> None:
    probe = (
        "import os\n"
        "for name in ('JWT_SECRET', 'BETTER_AUTH_SECRET', 'JWKS_URL'): os.environ.pop(name, None)\n"
        "import todo_http.app, todo_http.routes, todo_bootstrap.__main__\n"
        "import todo_bootstrap.container, todo_adapters.settings, sys\n"
        "print('fastapi' in sys.modules)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="/"
    )

    assert result.stdout.strip() == "True"


def test_the_container_module_imports_no_web_framework_and_no_http_adapter() -> None:
    # (dependency-injector itself imports FastAPI when it is installed, so this is checked
    # on the source: the container may be built by scripts that have no use for HTTP.)
    source = Path(container_module.__file__ or "").read_text(encoding="utf-8")

    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert not {name for name in imported if name.split(".")[0] in FRAMEWORKS}


def test_the_settings_class_is_importable_without_side_effects() -> None:
    module = importlib.import_module("todo_adapters.settings")

    assert module.Settings is Settings


def test_the_app_is_served_with_the_settings_it_was_given() -> None:
    container = memory_container(InMemoryStore())

    with serve(
        container, http_settings=make_http_settings(cors_origins="https://x.example")
    ) as client:
        response = client.get("/api/tasks", headers={**bearer(), "Origin": "https://x.example"})

    assert response.headers["Access-Control-Allow-Origin"] == "https://x.example"
