"""The benchmark's users, data and scenarios.

Three users, so that one scenario's writes never change another's reads:

- ``main``: a few thousand tasks created through the API (concurrent POSTs);
  the target of get, list, filter, update and of the mix's reads and updates.
- ``deep``: the deep-page user. Its bulk (100k by default) is stored
  in-process through ``TaskService.create_many`` -> ``SqlTaskRepository.add_many``
  (the same use case and repository, without HTTP, since 100k POSTs would take
  minutes), then a few hundred more through the API, which are the newest.
- ``writer``: receives every create, so that the listed users' counts stay put.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dependency_injector import providers

from bench.load import run_requests
from bench.plan import Plan, RequestKind
from todo_adapters.settings import load_settings
from todo_bootstrap.container import Container
from todo_core.edits import TaskDraft
from todo_core.model import TaskPriority, TaskStatus

#: Bodies of the seeded tasks: a status mix, and "foo" in a fifth of the titles.
SEED_KINDS = (
    (5, '{{"title":"Plan the release {{n}}","priority":"high"}}'),
    (2, '{{"title":"Buy foo bars {{n}}","description":"from the shop on the corner"}}'),
    (1, '{{"title":"Write foo report {{n}}","status":"in_progress","priority":"low"}}'),
    (2, '{{"title":"Review pull request {{n}}","status":"completed"}}'),
)
PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named plan and how its figures are judged."""

    name: str
    title: str
    writes: bool
    plan: Plan


@dataclass(frozen=True, slots=True)
class Users:
    main: str
    deep: str
    writer: str
    tokens: dict[str, str]


def seed_plan(token: str) -> Plan:
    return Plan(
        tuple(
            RequestKind(weight, "POST", "/api/tasks", token, body.format())
            for weight, body in SEED_KINDS
        )
    )


def seed_through_api(
    url: str, token: str, count: int, work_dir: Path, *, connections: int = 16
) -> tuple[list[str], dict[str, Any]]:
    """Create ``count`` tasks with concurrent POSTs; return their ids and the run summary."""
    plan_path = seed_plan(token).write(work_dir / f"seed-{uuid.uuid4().hex[:6]}.plan")
    ids: list[str] = []

    def collect(status: int, body: bytes) -> None:
        if status == 201:
            ids.append(json.loads(body)["id"])

    summary = asyncio.run(
        run_requests(url, plan_path, connections=connections, requests=count, on_response=collect)
    )
    return ids, summary


def seed_in_process(
    database_url: str,
    secret: str,
    user: str,
    count: int,
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Store ``count`` tasks for ``user`` through the container's ``TaskService.create_many``.

    Each call is one transaction of ``batch`` tasks; the clock steps 1 ms per
    call from a day ago, so these tasks are older than everything made through
    the API and ``created_at`` is not one value for all. Returns the seconds taken.
    """
    start = datetime.now(UTC) - timedelta(days=1)
    calls = [0]

    def clock() -> datetime:
        calls[0] += 1
        return start + timedelta(milliseconds=calls[0])

    container = Container()
    container.settings.override(
        providers.Object(
            load_settings(
                database_url=database_url, jwt_secret=secret, db_pool_size=2, _env_file=None
            )
        )
    )
    container.clock.override(providers.Object(clock))
    service = container.task_service()
    statuses = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)
    priorities = (TaskPriority.LOW, TaskPriority.MEDIUM, TaskPriority.HIGH)
    began = time.perf_counter()
    try:
        done = 0
        while done < count:
            size = min(batch, count - done)
            drafts = [
                TaskDraft(
                    title=f"Archived task {done + n}" + (" foo" if (done + n) % 5 == 0 else ""),
                    status=statuses[(done + n) % 3],
                    priority=priorities[(done + n) % 3],
                )
                for n in range(size)
            ]
            service.create_many(actor=user, drafts=drafts)
            done += size
            if progress is not None:
                progress(done)
    finally:
        container.engine().dispose()
    return time.perf_counter() - began


def scenarios(users: Users, ids_file: Path, deep_cursor: str, depth: int) -> dict[str, Scenario]:
    """Every scenario of the benchmark, in the order they run."""
    main = users.tokens["main"]
    deep = users.tokens["deep"]
    writer = users.tokens["writer"]
    get = RequestKind(70, "GET", "/api/tasks/{id}", main)
    page1 = RequestKind(10, "GET", f"/api/tasks?limit={PAGE_SIZE}", main)
    create = RequestKind(
        10, "POST", "/api/tasks", writer, '{"title":"Bench task {n}","priority":"low"}'
    )
    update = RequestKind(10, "PATCH", "/api/tasks/{id}", main, '{"title":"Edited {n}"}')

    def one(kind: RequestKind, ids: bool = False) -> Plan:
        single = RequestKind(1, kind.method, kind.path, kind.token, kind.body)
        return Plan((single,), ids_file if ids else None)

    items = [
        Scenario("get", "get by id", False, one(get, ids=True)),
        Scenario("list", f"list page 1 (limit {PAGE_SIZE})", False, one(page1)),
        Scenario(
            "filter",
            "list ?status=pending&search=foo",
            False,
            one(
                RequestKind(
                    1, "GET", f"/api/tasks?limit={PAGE_SIZE}&status=pending&search=foo", main
                )
            ),
        ),
        Scenario(
            "deep_first",
            "page 1 of the deep user",
            False,
            one(RequestKind(1, "GET", f"/api/tasks?limit={PAGE_SIZE}", deep)),
        ),
        Scenario(
            "deep_cursor",
            f"deep page by cursor (after {depth:,})",
            False,
            one(RequestKind(1, "GET", f"/api/tasks?limit={PAGE_SIZE}&cursor={deep_cursor}", deep)),
        ),
        Scenario(
            "deep_offset",
            f"deep page by offset={depth:,}",
            False,
            one(RequestKind(1, "GET", f"/api/tasks?limit={PAGE_SIZE}&offset={depth}", deep)),
        ),
        Scenario("create", "create (POST)", True, one(create)),
        Scenario("update", "update (PATCH)", True, one(update, ids=True)),
        Scenario(
            "mixed",
            "mix 70% get / 10% list / 10% create / 10% update",
            True,
            Plan((get, page1, create, update), ids_file),
        ),
    ]
    return {scenario.name: scenario for scenario in items}
