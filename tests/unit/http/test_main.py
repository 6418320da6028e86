"""``python -m todo_bootstrap``: checks the configuration, then serves the app factory."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.unit.http.support import SECRET
from todo_adapters.sql import downgrade_database, upgrade_database
from todo_adapters.sql.migrations import head_revision
from todo_bootstrap import __main__ as entry
from todo_bootstrap import serve as serve_module
from todo_bootstrap.serve import YOUNG_COLLECTION_THRESHOLD, serving_app
from todo_bootstrap.workers import spreads_connections


@pytest.fixture
def migrated_url(tmp_path: Path) -> str:
    """A SQLite file at the schema this version needs."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, migrated_url: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: str, **options: Any) -> None:
        calls.append({"app": app, "pool_size": os.environ.get("DB_POOL_SIZE"), **options})

    def fake_run_workers(app: str, **options: Any) -> None:
        pool_size = os.environ.get("DB_POOL_SIZE")
        calls.append(
            {"app": app, "workers_on_own_sockets": True, "pool_size": pool_size, **options}
        )

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(serve_module, "run_workers", fake_run_workers)
    monkeypatch.chdir("/")
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    return calls


def test_it_serves_the_app_factory_with_the_given_host_port_and_workers(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("LOG_FORMAT", "json")

    status = entry.main(["--host", "0.0.0.0", "--port", "9000", "--workers", "3"])

    [call] = served
    assert status == 0
    assert call["app"] == "todo_bootstrap.serve:serving_app"
    assert call["factory"] is True
    assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 9000, 3)
    # On Linux several workers each accept on a socket of their own (todo_bootstrap.workers).
    assert call.get("workers_on_own_sockets", False) is spreads_connections()
    assert "JsonFormatter" in str(call["log_config"]["formatters"])
    assert call["access_log"] is False  # todo_http.request_log writes the request lines


@pytest.mark.parametrize(("workers", "pool_size"), [(1, "10"), (2, "5"), (3, "4"), (16, "1")])
def test_unset_the_pool_is_the_servers_split_over_its_workers(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, workers: int, pool_size: str
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    assert entry.main(["--port", "9000", "--workers", str(workers)]) == 0

    [call] = served
    assert call["pool_size"] == pool_size  # what the worker processes start with
    assert "DB_POOL_SIZE" not in os.environ  # this process's environment as it was


def test_a_pool_size_that_is_set_is_each_workers(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DB_POOL_SIZE", "7")

    assert entry.main(["--port", "9000", "--workers", "2"]) == 0

    [call] = served
    assert call["pool_size"] == "7"
    assert os.environ["DB_POOL_SIZE"] == "7"


def test_it_refuses_to_start_when_the_jwks_url_is_not_http(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JWKS_URL", "ftp://keys.example/jwks")

    assert entry.main([]) == 2
    assert served == []
    assert "JWKS URL" in capsys.readouterr().err


def test_it_refuses_to_start_with_a_bad_configuration_and_says_why_on_one_line(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("JWT_SECRET", "BETTER_AUTH_SECRET", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)

    status = entry.main([])

    assert status == 2
    assert served == []
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_it_refuses_an_unmigrated_database_in_one_line_and_serves_nothing(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")

    status = entry.main([])

    assert status == 2
    assert served == []
    assert capsys.readouterr().err == (
        f"error: database schema is at none, this version needs {head_revision()}: "
        "run 'todo db upgrade'\n"
    )


def test_it_refuses_a_database_migrated_down_to_base(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    migrated_url: str,
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    downgrade_database(migrated_url, "base")

    status = entry.main([])

    assert status == 2
    assert served == []
    assert f"schema is at none, this version needs {head_revision()}" in capsys.readouterr().err


def test_it_refuses_a_bad_port(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    assert entry.main(["--port", "0"]) == 2
    assert served == []


def test_the_served_app_leaves_its_start_up_heap_out_of_garbage_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        app = serving_app()
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(app)
        assert not any(app is o for o in gc.get_objects())
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
