"""The benchmark: ``python -m bench.run [--quick]`` (``make bench``); see ``bench/README.md``.

1. A PostgreSQL database of its own, migrated and seeded (``bench/database.py``).
2. The service exactly as ``todo serve`` starts it (``python -m todo_bootstrap``,
   default settings but the database URL, the JWT secret and ``LOG_LEVEL``) and
   the floor (``python -m bench.floor``), one uvicorn worker each pinned to the
   first core; wrk pinned to the second.
3. Statements per request, counted on the wire through ``tests/support/pg_wire.py``
   by a second app and floor behind a proxy, never during timed runs.
4. Every scenario at 16 and at 64 connections, floor -> app -> floor; ratios
   to the mean of the two floor runs. Then the deep cursor against page 1, the
   RSS soak, a py-spy profile, and app vs floor with ``--workers 2`` unpinned.
5. The report on stdout and in ``bench/results/<stamp>.md`` and ``.json``.

Environment: ``BENCH_DURATION`` (seconds per timed run, 8; ``--quick`` 2),
``BENCH_CONNECTIONS`` (``16,64``), ``BENCH_DEEP_TASKS`` (100000),
``BENCH_SOAK_REQUESTS`` (200000), ``BENCH_PROFILE`` (1/0), ``BENCH_PIN_WORKERS``
(1: in the 2-worker part, each worker of both servers on a core of its own), and the database
variables of ``bench/database.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from bench import plan_cost, profile, rate_limit_cost, write_ceiling
from bench.database import Reading, Watch, bench_database, only_task_ids, seed
from bench.driver import Kind, finish_wrk, start_wrk, write_plan, wrk_argv
from bench.report import render, targets
from bench.servers import Server, machine_busy_seconds, pin_workers, prioritise, start
from tests.support.pg_wire import WireLog
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.jwt import mint_hs256_token
from todo_adapters.settings import Settings
from todo_adapters.sql import upgrade_database
from todo_adapters.sql.changes import created_statement

ROOT: Final = Path(__file__).resolve().parent.parent
#: The app's quota and the limit the floor's create+feed sends: never reached by the writer.
BENCH_TASK_LIMIT: Final = 1_000_000_000
RESULTS: Final = ROOT / "bench" / "results"
PAGE: Final = 20
#: Users of the writes spread over users (``*_many_users``), each with one task to edit.
MANY_USERS: Final = 64
#: Cumulative statistics reach shared memory about once a second per backend.
SETTLE_SECONDS: Final = 1.1
#: Connections of each floor worker (``BENCH_FLOOR_POOL`` to try another size): one for
#: every request in flight at 16 connections. At 64 the requests beyond it wait in the
#: event loop, as they would in PostgreSQL's run queue anyway, 2 cores running the
#: database: 64 connections per worker measured no faster, with a worse p99, than 16.
FLOOR_POOL: Final = 16
#: A triple whose two floor runs differ by more is run again (the machine moved).
DRIFT_LIMIT: Final = 0.15
#: ... at most so many times in a run (each costs half a minute).
MAX_RERUNS: Final = 6
#: Before a triple, wait so long at most for other processes to leave the idle machine
#: below this share of its CPU.
QUIET_LIMIT: Final = 0.10
QUIET_WAIT_SECONDS: Final = 10.0
QUIET_WAIT_TOTAL_SECONDS: Final = 60.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


@dataclass(frozen=True, slots=True)
class Config:
    quick: bool
    seconds: int
    warmup: int
    levels: tuple[int, ...]
    main_tasks: int
    deep_tasks: int
    soak_requests: int
    profile: bool
    nice: int
    pin_workers: bool

    @classmethod
    def read(cls, quick: bool) -> Config:
        levels = os.environ.get("BENCH_CONNECTIONS", "").strip() or "16,64"
        return cls(
            quick=quick,
            seconds=_env_int("BENCH_DURATION", 1 if quick else 8),
            warmup=0 if quick else 1,
            levels=tuple(int(level) for level in levels.split(",")),
            main_tasks=_env_int("BENCH_MAIN_TASKS", 2000),
            deep_tasks=_env_int("BENCH_DEEP_TASKS", 20_000 if quick else 100_000),
            soak_requests=_env_int("BENCH_SOAK_REQUESTS", 10_000 if quick else 200_000),
            profile=os.environ.get("BENCH_PROFILE", "1").strip() not in {"0", "no", "false"},
            nice=_env_int("BENCH_NICE", -10),
            pin_workers=os.environ.get("BENCH_PIN_WORKERS", "").strip() in {"1", "yes", "true"},
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    kinds: list[Kind]  # "{cursor}" in a path is the server's own deep cursor


def scenarios(
    tokens: dict[str, str], depth: int, many: Sequence[tuple[str, str]] = ()
) -> dict[str, Scenario]:
    """Every scenario; ``many``: (token, the id of its user's one task) of the many users."""
    main, deep, writer = tokens["main"], tokens["deep"], tokens["writer"]
    get = Kind(70, "GET", "/api/tasks/{id}", main)
    page1 = Kind(10, "GET", f"/api/tasks?limit={PAGE}", main)
    create = Kind(10, "POST", "/api/tasks", writer, '{"title":"Bench task {n}","priority":"low"}')
    update = Kind(10, "PATCH", "/api/tasks/{id}", main, '{"title":"Edited {n}"}')

    def one(name: str, title: str, kind: Kind) -> Scenario:
        return Scenario(name, title, [Kind(1, kind.method, kind.path, kind.token, kind.body)])

    def page(query: str, token: str) -> Kind:
        return Kind(1, "GET", f"/api/tasks?limit={PAGE}{query}", token)

    # The same writes; the floor does the changes feed's bookkeeping too (the app ignores
    # ?feed=1 and always does it): the service against a floor doing the same work.
    create_feed = Kind(10, "POST", "/api/tasks?feed=1", writer, create.body)
    update_feed = Kind(10, "PATCH", "/api/tasks/{id}?feed=1", main, update.body)
    items = [
        one("get", "get by id", get),
        one("list", f"list page 1 (limit {PAGE})", page1),
        one("filter", "list ?status=pending&search=foo", page("&status=pending&search=foo", main)),
        one("deep_first", "page 1 of the deep user", page("", deep)),
        one(
            "deep_cursor", f"deep page by cursor (after {depth:,})", page("&cursor={cursor}", deep)
        ),
        one("deep_offset", f"deep page by offset={depth:,}", page(f"&offset={depth}", deep)),
        one("create", "create (POST)", create),
        one("create_feed", "create (POST), floor + the feed's bookkeeping", create_feed),
        one("update", "update (PATCH title)", update),
        one("update_feed", "update (PATCH title), floor + the feed's bookkeeping", update_feed),
        # The same writes, each request by one of many users as real traffic is (users
        # rarely write concurrently): what the one user's scenarios cost apart from its
        # change_clocks row, which serialises that user's writes to their commit.
        Scenario(
            "create_many_users",
            f"create (POST), each by one of {len(many)} users",
            [Kind(1, "POST", "/api/tasks", token, create.body) for token, _ in many],
        ),
        Scenario(
            "update_many_users",
            f"update (PATCH title), each by one of {len(many)} users",
            [Kind(1, "PATCH", f"/api/tasks/{task}", token, update.body) for token, task in many],
        ),
        Scenario(
            "mixed",
            "mix 70% get / 10% list / 10% create / 10% update",
            [get, page1, create, update],
        ),
        Scenario(
            "mixed_feed",
            "the mix, floor + the feed's bookkeeping",
            [get, page1, create_feed, update_feed],
        ),
    ]
    return {item.name: item for item in items if item.kinds}


def http_get(server: Server, path: str, token: str) -> tuple[list[str], str | None]:
    """Ids of a listing page and the cursor of its ``Link``."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{server.name} GET {path}: {response.status} {body}")
        link = response.getheader("link") or ""
        cursor = link.partition("cursor=")[2].partition("&")[0].partition(">")[0] or None
        return [task["id"] for task in body], cursor
    finally:
        connection.close()


class Bench:
    def __init__(
        self,
        config: Config,
        url: str,
        users: dict[str, str],
        work: Path,
        many_users: Sequence[str] = (),
    ) -> None:
        self.config = config
        self.url = url
        self.users = users
        self.many_users = list(many_users)
        self.work = work
        self.secret = secrets.token_urlsafe(48)
        self.tokens = {role: self.token(user) for role, user in users.items()}
        self.chosen = os.environ.get("BENCH_SCENARIOS", "").strip()
        self.items = self.chosen_items()
        self.ids = work / "ids.txt"
        self.cursors: dict[str, str] = {}
        self.servers: list[Server] = []
        self.watch: Watch | None = None
        cpus = sorted(os.sched_getaffinity(0))
        two = len(cpus) >= 2 and shutil.which("taskset") is not None
        self.server_cpus = str(cpus[0]) if two else None
        self.load_cpus = ",".join(str(c) for c in cpus[1:]) if two else None
        self.settle = 0.2 if config.quick else SETTLE_SECONDS
        self.floor_pool = _env_int("BENCH_FLOOR_POOL", FLOOR_POOL)
        self.waited = 0.0
        self.reruns = 0

    def token(self, user: str) -> str:
        return mint_hs256_token(secret=self.secret, subject=user, ttl_seconds=6 * 3600)

    def chosen_items(self, many: Sequence[tuple[str, str]] = ()) -> dict[str, Scenario]:
        """The scenarios of the run (``BENCH_SCENARIOS``), with the many users' writes once
        their tasks are seeded."""
        return {
            name: item
            for name, item in scenarios(self.tokens, self.config.deep_tasks, many).items()
            if not self.chosen or name in self.chosen.split(",")
        }

    # -- servers

    def start_app(self, name: str, url: str, workers: int = 1, pinned: bool = True) -> Server:
        """``todo serve``'s server: default settings but the URL, the secret and the log level.

        And ``RATE_LIMIT=off``: one benchmark user makes thousands of requests a second;
        and a quota (``MAX_TASKS_PER_USER``) its writer never reaches;
        what the limiter costs is measured apart, at the end of the run
        (``bench/rate_limit_cost.py``).
        """
        settings = {field.upper() for field in Settings.model_fields} | {"BETTER_AUTH_SECRET"}
        env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
        env |= {
            "DATABASE_URL": url,
            "JWT_SECRET": self.secret,
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT": "off",
            # The writer creates far more than the default quota of 10,000 tasks; the
            # quota is still checked in the create's one statement, as it always is.
            "MAX_TASKS_PER_USER": str(BENCH_TASK_LIMIT),
        }
        argv = [sys.executable, "-m", "todo_bootstrap", "--workers", str(workers)]
        return self._start(name, argv, env, self.work, pinned)  # no .env in the work directory

    def start_floor(self, name: str, url: str, workers: int = 1, pinned: bool = True) -> Server:
        env = dict(os.environ)
        env |= {"BENCH_FLOOR_DSN": url, "BENCH_FLOOR_SECRET": self.secret}
        env |= {"BENCH_FLOOR_POOL": str(self.floor_pool)}
        sql, constants = feed_create_sql()
        constants["task_limit"] = BENCH_TASK_LIMIT
        env |= {"BENCH_FLOOR_FEED_SQL": sql, "BENCH_FLOOR_FEED_CONSTANTS": json.dumps(constants)}
        argv = [sys.executable, "-m", "bench.floor", "--workers", str(workers)]
        return self._start(name, argv, env, ROOT, pinned)

    def _start(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path, pinned: bool
    ) -> Server:
        cpus = self.server_cpus if pinned else None
        server = start(
            name, argv, env=env, cwd=cwd, log_dir=self.work, cpus=cpus, nice=self.config.nice
        )
        self.servers.append(server)
        return server

    def stop(self, *servers: Server) -> None:
        for server in servers:
            server.stop()
            self.servers.remove(server)

    # -- load

    def start_load(
        self,
        server: Server,
        scenario: Scenario,
        connections: int,
        seconds: int,
        pinned: bool = False,
    ) -> subprocess.Popen[str]:
        """wrk running ``scenario`` against ``server`` (the plan has the server's own cursor)."""
        cursor = self.cursors.get(server.name.split("-")[0], "")
        kinds = [
            Kind(k.weight, k.method, k.path.replace("{cursor}", cursor), k.token, k.body)
            for k in scenario.kinds
        ]
        plan = write_plan(self.work / f"{scenario.name}-{server.name}.plan", kinds)
        argv = wrk_argv(server.url, plan, self.ids, connections=connections, seconds=seconds)
        return start_wrk(argv, cpus=self.load_cpus if pinned else None, nice=self.config.nice)

    def load(
        self, server: Server, scenario: Scenario, connections: int, seconds: int, pinned: bool
    ) -> dict[str, Any]:
        """wrk's result for ``scenario`` against ``server``."""
        return finish_wrk(self.start_load(server, scenario, connections, seconds, pinned))

    def measure(
        self, server: Server, scenario: Scenario, connections: int, seconds: int, pinned: bool
    ) -> dict[str, Any]:
        """One timed run, with the server's CPU and the database's sessions and CPU around it."""
        assert self.watch is not None
        usage, db = server.usage(), self.watch.read()
        prioritise(list(db.backend_cpu or ()), self.config.nice)
        busy, ours, began = machine_busy_seconds(), _own_cpu_seconds(), time.monotonic()
        result = self.load(server, scenario, connections, seconds, pinned)
        used = server.usage()
        busy = machine_busy_seconds() - busy - (_own_cpu_seconds() - ours)  # less wrk and us
        elapsed = time.monotonic() - began
        time.sleep(self.settle)
        db_after = self.watch.read()
        requests = max(int(result["requests"]), 1)
        server_cpu = used.cpu_seconds - usage.cpu_seconds
        db_cpu = _db_cpu(db, db_after, requests)
        other = busy - server_cpu - (db_cpu or 0.0) * requests / 1000
        run = {
            "server": server.name,
            "requests": requests,
            "rps": requests / (result["duration_us"] / 1e6),
            "p50_ms": result["latency_us"]["p50"] / 1000,
            "p99_ms": result["latency_us"]["p99"] / 1000,
            "errors": sum(result["errors"].values()),
            "error_kinds": {k: v for k, v in result["errors"].items() if v},
            "server_cpu_ms": 1000 * server_cpu / requests,
            "db_cpu_ms": db_cpu,
            "other_load": max(other, 0.0) / (elapsed * len(os.sched_getaffinity(0))),
            "sessions": db_after.sessions - db.sessions,
            "rss_bytes": used.rss_bytes,
        }
        log(
            f"  {scenario.name:11s} c{connections:<3d} {server.name:8s} {run['rps']:7.0f} req/s"
            f"  p99 {run['p99_ms']:7.2f} ms  sessions {run['sessions']}  errors {run['errors']}"
            f"  other load {run['other_load']:4.0%}"
        )
        return run

    def triple(
        self, app: Server, floor: Server, scenario: Scenario, connections: int, pinned: bool
    ) -> dict[str, Any]:
        """Floor, app, floor back to back; once more if the machine moved meanwhile.

        Moved: the two floor runs differ by more than 15%. The attempt with the
        smaller drift is kept.
        """
        c = self.config
        best: dict[str, Any] | None = None
        for attempt in range(2):
            self.wait_for_quiet()
            for server in (floor, app) if c.warmup else ():
                self.load(server, scenario, connections, c.warmup, pinned)
            runs = [
                self.measure(server, scenario, connections, c.seconds, pinned)
                for server in (floor, app, floor)
            ]
            drift = runs[2]["rps"] / runs[0]["rps"]
            other = max(run["other_load"] for run in runs)
            entry = {"title": scenario.title, "app": runs[1], "floors": [runs[0], runs[2]]}
            entry |= {"drift": drift, "other_load": other, "attempts": attempt + 1}
            if best is None or abs(drift - 1) < abs(best["drift"] - 1):
                best = entry
            if abs(drift - 1) <= DRIFT_LIMIT or c.quick or self.reruns >= MAX_RERUNS:
                break
            self.reruns += 1
            log(f"  floor drift {drift:.2f}, other load {other:.0%}: {scenario.name} once more")
        assert best is not None
        return best

    def wait_for_quiet(self) -> None:
        """Wait (10 s at most, 1 min a run) while others keep the idle machine over 10% busy."""
        waited = 0.0
        while (
            not self.config.quick
            and waited < QUIET_WAIT_SECONDS
            and self.waited < QUIET_WAIT_TOTAL_SECONDS
        ):
            busy = machine_busy_seconds()
            time.sleep(0.5)
            share = (machine_busy_seconds() - busy) / 0.5 / len(os.sched_getaffinity(0))
            if share <= QUIET_LIMIT:
                break
            if waited == 0:
                log(f"  the machine is {share:.0%} busy without us: waiting for it to quiet down")
            time.sleep(1.5)
            waited += 2
            self.waited += 2

    # -- phases

    def deep_cursors(self, servers: list[Server]) -> None:
        """Each server's own cursor after ``depth`` tasks, checked against ``offset=depth``."""
        depth, token = self.config.deep_tasks, self.tokens["deep"]
        for server in servers:
            _, cursor = http_get(server, f"/api/tasks?limit={PAGE}&offset={depth - PAGE}", token)
            assert cursor is not None, f"{server.name}: no Link after offset {depth - PAGE}"
            by_cursor, _ = http_get(server, f"/api/tasks?limit={PAGE}&cursor={cursor}", token)
            by_offset, _ = http_get(server, f"/api/tasks?limit={PAGE}&offset={depth}", token)
            if by_cursor != by_offset or len(by_cursor) != PAGE:
                raise RuntimeError(f"{server.name}: the cursor page is not the offset page")
            self.cursors[server.name.split("-")[0]] = quote(cursor, safe="")

    def census(self) -> dict[str, Any]:
        """Statements per request on the wire: a proxied app and floor, side by side, untimed."""
        counts: dict[str, Any] = {name: {} for name in self.items}
        seconds = 1 if self.config.quick else 2
        port = make_url(self.url).port or 5432
        wires = {"app": WireLog(), "floor": WireLog()}
        with contextlib.ExitStack() as stack:
            servers: dict[str, Server] = {}
            for role, wire in wires.items():
                proxy = stack.enter_context(TcpProxy("127.0.0.1", port, tap=wire.stream))
                url = make_url(proxy.through(self.url)).update_query_dict({"sslmode": "disable"})
                start_server = self.start_app if role == "app" else self.start_floor
                servers[role] = start_server(f"{role}-wire", url.render_as_string(False))
                stack.callback(self.stop, servers[role])
            self.deep_cursors(list(servers.values()))
            mixed = scenarios(self.tokens, 0)["mixed"]  # every pooled connection opened, set up
            self.side_by_side(servers, mixed, 16, 1)
            for name, scenario in self.items.items():
                for wire in wires.values():
                    wire.clear()
                results = self.side_by_side(servers, scenario, 4, seconds)
                time.sleep(0.3)  # the statements of the last requests answered
                for role, result in results.items():
                    kinds = Counter(wires[role].snapshot())
                    requests = max(int(result["requests"]), 1)
                    counts[name][role] = {
                        "per_request": sum(kinds.values()) / requests,
                        "kinds": {k: n / requests for k, n in kinds.most_common()},
                        "errors": sum(result["errors"].values()),
                    }
                shown = [f"{k} {v['per_request']:.2f}" for k, v in counts[name].items()]
                log(f"  {name:11s} statements per request: {', '.join(shown)}")
        return counts

    def side_by_side(
        self, servers: dict[str, Server], scenario: Scenario, connections: int, seconds: int
    ) -> dict[str, dict[str, Any]]:
        """The same load on every server at once (unpinned: for counting, not timing)."""
        started = {
            role: self.start_load(server, scenario, connections, seconds)
            for role, server in servers.items()
        }
        return {role: finish_wrk(process) for role, process in started.items()}

    def cursor_check(self, app: Server) -> dict[str, Any] | None:
        """The deep cursor page's p50 against page 1 of the same user: page 1, cursor, page 1."""
        if "deep_first" not in self.items or "deep_cursor" not in self.items:
            return None
        first, cursor = self.items["deep_first"], self.items["deep_cursor"]
        level, seconds = min(self.config.levels), self.config.seconds
        runs = [self.measure(app, item, level, seconds, True) for item in (first, cursor, first)]
        page1 = [runs[0]["p50_ms"], runs[2]["p50_ms"]]
        cursor_p50 = runs[1]["p50_ms"]
        return {
            "page1_p50_ms": page1,
            "cursor_p50_ms": cursor_p50,
            "ratio": cursor_p50 / mean(page1),
        }

    def soak(self, app: Server) -> dict[str, Any] | None:
        """The mixed load on the same app until ``soak_requests``; RSS after every chunk."""
        if "mixed" not in self.items:
            return None
        total = self.config.soak_requests
        early_mark, done, rate = total // 10, 0, 0.0
        points: list[tuple[int, int]] = []
        while done < total:
            goal = early_mark if done < early_mark else total
            seconds = max(1, min(30, math.ceil((goal - done) / rate))) if rate else 2
            result = self.load(app, self.items["mixed"], min(self.config.levels), seconds, True)
            done += int(result["requests"])
            rate = int(result["requests"]) / (result["duration_us"] / 1e6)
            points.append((done, app.usage().rss_bytes))
            log(f"  soak: {done:,} requests, RSS {points[-1][1] / 2**20:.1f} MiB")
        early = next(point for point in points if point[0] >= early_mark)
        return {
            "points": points,
            "early": early,
            "late": points[-1],
            "growth": points[-1][1] / early[1],
        }

    def profiled(self, app: Server, stamp: str) -> dict[str, Any] | None:
        """py-spy on the app while it serves the mixed load at the highest level."""
        scenario = self.items.get("mixed") or next(iter(self.items.values()))
        raw = RESULTS / f"{stamp}.pyspy.txt"
        seconds = self.config.seconds
        recorder = profile.start(app.pid, seconds, raw)
        if recorder is None:
            return None
        time.sleep(0.5)
        self.load(app, scenario, max(self.config.levels), seconds, True)
        try:
            recorder.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.communicate()
        summary = profile.summarize(raw)
        return None if summary is None else {"scenario": scenario.name, **summary, "raw": raw.name}

    def workers2(self) -> dict[str, Any]:
        """App and floor with ``--workers 2``, nothing pinned, under the mixed loads."""
        mixes = {name: self.items[name] for name in ("mixed", "mixed_feed") if name in self.items}
        if not mixes:
            return {}
        app = self.start_app("app-w2", self.url, 2, pinned=False)
        floor = self.start_floor("floor-w2", self.url, 2, pinned=False)
        try:
            if self.config.pin_workers:  # an experiment, not the measurement: see bench/README.md
                cpus = sorted(os.sched_getaffinity(0))
                for server in (app, floor):
                    log(f"  {server.name}: worker per core, {pin_workers(server, cpus)}")
            for server in (app, floor):
                for level in self.config.levels:
                    warm = next(iter(mixes.values()))
                    self.load(server, warm, level, 1 if self.config.quick else 2, pinned=False)
            return {
                str(level): {
                    name: self.triple(app, floor, item, level, pinned=False)
                    for name, item in mixes.items()
                }
                for level in self.config.levels
            }
        finally:
            self.stop(app, floor)

    def run(self, stamp: str) -> dict[str, Any]:
        c = self.config
        started = datetime.now(UTC)
        log(f"seeding {c.main_tasks:,} + {c.deep_tasks + 500:,} tasks")
        upgrade_database(self.url)
        counts = {self.users["main"]: c.main_tasks, self.users["deep"]: c.deep_tasks + 500}
        counts |= dict.fromkeys(self.many_users, 1)
        self.ids.write_text("\n".join(seed(self.url, counts)) + "\n")
        tasks = only_task_ids(self.url, self.many_users)
        self.items = self.chosen_items([(self.token(user), tasks[user]) for user in tasks])
        self.watch = Watch(self.url)
        log("statements per request on the wire (a proxied app and floor, not timed)")
        census = self.census()
        app, floor = self.start_app("app", self.url), self.start_floor("floor", self.url)
        self.deep_cursors([app, floor])
        log("warming both servers up: the mixed load at every level")
        for server in (app, floor):
            for level in c.levels:
                self.load(
                    server, scenarios(self.tokens, 0)["mixed"], level, 1 if c.quick else 2, True
                )
        # Scenario by scenario, every level in turn: the reads run on the seeded table
        # at every level, before the creates grow it (the deep user's counts scan it).
        levels: dict[str, Any] = {str(level): {} for level in c.levels}
        for name, item in self.items.items():
            for level in c.levels:
                log(f"{name} at {level} connections: floor, app, floor")
                levels[str(level)][name] = self.triple(app, floor, item, level, pinned=True)
                if any(kind.method != "GET" for kind in item.kinds):
                    self.watch.vacuum()  # the dead rows of these writes, before the next runs
        log("deep cursor vs page 1 (app)")
        cursor = self.cursor_check(app)
        log(f"RSS soak: mixed up to {c.soak_requests:,} requests")
        soak = self.soak(app)
        prof = self.profiled(app, stamp) if c.profile else None
        self.stop(app, floor)
        log("2 workers, nothing pinned: floor, app, floor")
        workers2 = self.workers2()
        ceiling = None
        if "create" in self.items:
            log("one user's creates on PostgreSQL alone (pgbench, bench/write_ceiling.py)")
            ceiling = write_ceiling.measure(self.url)
        log(
            "parsing and planning: each statement simple and prepared (pgbench, bench/plan_cost.py)"
        )
        plans = plan_cost.measure(self.url)
        results: dict[str, Any] = {
            "meta": {
                "started": started.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "config": {name: getattr(c, name) for name in c.__dataclass_fields__},
                "pinning": {"servers": self.server_cpus, "wrk": self.load_cpus},
                "floor_pool": self.floor_pool,
                "settle_seconds": self.settle,
                "waited_for_quiet_seconds": self.waited,
                "reruns": self.reruns,
                "python": sys.version.split()[0],
                "commit": _commit(),
            },
            "levels": levels,
            "workers2": workers2,
            "census": census,
            "cursor": cursor,
            "soak": soak,
            "profile": prof,
            "ceiling": ceiling,
            "plans": plans,
        }
        results["targets"] = targets(results)
        return results


def feed_create_sql() -> tuple[str, dict[str, Any]]:
    """The service's create on PostgreSQL, compiled for the floor's driver (psycopg 3).

    The SQL adapter's own statement (``created_statement``), not a copy: the
    task's ``INSERT`` with the per-user bookkeeping, the changes feed's number
    and the quota's count (``:task_limit``, which the floor is given as a
    constant, ``BENCH_TASK_LIMIT``). Returns the SQL and its constant parameters.
    """
    compiled = created_statement().compile(dialect=postgresql.psycopg.dialect())
    # Every parameter with its compiled value (literals; None for the row's values,
    # which the floor fills in, and for a NULL literal, which it must still send).
    return str(compiled), dict(compiled.params)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _db_cpu(before: Reading, after: Reading, requests: int) -> float | None:
    if before.backend_cpu is None or after.backend_cpu is None:
        return None
    spent = sum(cpu - before.backend_cpu.get(pid, 0.0) for pid, cpu in after.backend_cpu.items())
    return 1000 * spent / requests


def _own_cpu_seconds() -> float:
    """CPU of this process and of its children already waited for (wrk)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The service against an honest floor.")
    parser.add_argument("--quick", action="store_true", help="a 2-3 minute smoke run")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    args = parser.parse_args(argv)
    config = Config.read(args.quick)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id = uuid.uuid4().hex[:8]
    users = {role: f"bench-{run_id}-{role}" for role in ("main", "deep", "writer")}
    many_users = [f"bench-{run_id}-user{index:02d}" for index in range(MANY_USERS)]
    work = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    try:
        with bench_database([*users.values(), *many_users]) as database:
            log(f"database: {database.origin}")
            bench = Bench(config, database.url, users, work, many_users)
            try:
                results = bench.run(stamp)
            except BaseException:
                for server in bench.servers:
                    log(f"--- end of {server.name}'s log ---\n{server.log_tail()}")
                raise
            finally:
                for server in list(bench.servers):
                    bench.stop(server)
                if bench.watch is not None:
                    bench.watch.close()
            results["meta"]["database"] = database.origin
    finally:
        if args.keep_logs:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    log("what the rate limit costs per request (bench/rate_limit_cost.py)")
    redis_url = os.environ.get("BENCH_REDIS_URL") or rate_limit_cost.DEFAULT_REDIS_URL
    results["rate_limit"] = asyncio.run(rate_limit_cost.main(redis_url))
    results["meta"]["seconds"] = round(time.perf_counter() - began)
    markdown = render(results) + "\n" + results["rate_limit"] + "\n"
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (RESULTS / f"{stamp}.md").write_text(markdown)
    sys.stdout.write(markdown)
    log(f"written bench/results/{stamp}.md and .json ({results['meta']['seconds']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
