"""The benchmark: ``python -m bench.run [--quick]`` (``make bench``).

1. A PostgreSQL database of its own (``bench/database.py``), migrated to head.
2. The app (``python -m todo_http``, one uvicorn worker) and the floor
   (``python -m bench.floor``) as separate processes, pinned to the first core;
   the load generator (wrk, else ``bench/load.py``) pinned to the second.
3. Seeding: the main user's tasks through the API (concurrent POSTs), the
   deep user's bulk in-process via ``TaskService.create_many``.
4. Each scenario runs floor, app, floor; ratios use the mean of the two floor
   runs (the floor's own drift is shown).
5. RSS soak with the mixed load; a py-spy profile of the app under ``get``;
   ``--workers`` 1 vs 2 (unpinned); SQL statement census through a counting proxy.
6. The table on stdout and in ``bench/results/<timestamp>.md`` and ``.json``.

Settings (environment): ``BENCH_DURATION`` (seconds per run, default 10,
``--quick`` 2), ``BENCH_CONNECTIONS`` (16), ``BENCH_MAIN_TASKS`` (2000),
``BENCH_DEEP_TASKS`` (100000), ``BENCH_SOAK_REQUESTS`` (200000),
``BENCH_LOADGEN`` (``wrk`` or ``python``), ``BENCH_PROFILE`` (1/0),
``BENCH_DATABASE_URL`` / ``TEST_DATABASE_URL``, ``BENCH_THROWAWAY_CLUSTER``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from bench.capture_sql import capture
from bench.census import count_statements
from bench.database import BenchDatabase, bench_database, enable_pg_stat_statements
from bench.driver import LoadDriver, RunStats, wrk_path
from bench.floor import GET_FOR_UPDATE_SQL, GET_SQL, INSERT_SQL, UPDATE_SQL, list_sql
from bench.profile import start_recording, summarize
from bench.report import ratios, render_markdown, target_checks, write_results
from bench.scenarios import (
    PAGE_SIZE,
    Scenario,
    Users,
    scenarios,
    seed_in_process,
    seed_through_api,
)
from bench.server import Server, start_server
from bench.sqlcount import StatementCounter, normalize
from todo_adapters.jwt import mint_hs256_token
from todo_adapters.sql import upgrade_database
from todo_core.queries import Position, TaskQuery, encode_cursor

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TOKEN_TTL_SECONDS = 6 * 3600


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass(frozen=True, slots=True)
class Config:
    quick: bool
    duration: int
    warmup: int
    connections: int
    main_tasks: int
    deep_tasks: int
    deep_api_tasks: int
    soak_early: int
    soak_late: int
    census_requests: int
    profile: bool
    loadgen: str
    # No overflow: QueuePool (and psycopg2's pool) close overflow connections on
    # return, and reconnecting under load would measure connection set-up.
    pool_size: int = 10
    max_overflow: int = 0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Config:
        quick = bool(args.quick)
        duration = args.duration or _env_int("BENCH_DURATION", 2 if quick else 10)
        soak_late = _env_int("BENCH_SOAK_REQUESTS", 10_000 if quick else 200_000)
        loadgen = os.environ.get("BENCH_LOADGEN", "").strip() or ("wrk" if wrk_path() else "python")
        return cls(
            quick=quick,
            duration=max(1, duration),
            warmup=0 if quick else 1,
            connections=_env_int("BENCH_CONNECTIONS", 16),
            main_tasks=_env_int("BENCH_MAIN_TASKS", 300 if quick else 2000),
            deep_tasks=_env_int("BENCH_DEEP_TASKS", 20_000 if quick else 100_000),
            deep_api_tasks=100 if quick else 500,
            soak_early=max(1, soak_late // 10),
            soak_late=soak_late,
            census_requests=100 if quick else 300,
            profile=os.environ.get("BENCH_PROFILE", "1").strip() not in {"0", "false", "no"},
            loadgen=loadgen,
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_json(base_url: str, path: str, token: str) -> tuple[int, dict[str, str], Any]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, json.loads(body) if body else None
    finally:
        connection.close()


def sql_drift(url: str, user_prefix: str) -> dict[str, bool]:
    """Whether the floor's copied SQL is still what the adapter emits, per use case."""
    captured = capture(url, user_prefix)

    def data(name: str) -> list[str]:
        return [normalize(sql) for sql, parameters in captured[name] if parameters is not None]

    floor = {
        "create": [INSERT_SQL],
        "get": [GET_SQL],
        "list": [list_sql(statuses=[], search=False, cursor=False, offset=False)],
        "filter": [list_sql(statuses=["pending"], search=True, cursor=False, offset=False)],
        "deep_cursor": [list_sql(statuses=[], search=False, cursor=True, offset=False)],
        "deep_offset": [list_sql(statuses=[], search=False, cursor=False, offset=True)],
        "update": [GET_FOR_UPDATE_SQL, UPDATE_SQL],
    }
    return {name: data(name) == [normalize(s) for s in floor[name]] for name in floor}


def pg_stat_statements_calls(database: BenchDatabase) -> int | None:
    try:
        connection = psycopg2.connect(database.dsn())
    except psycopg2.Error:
        return None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT LIKE '%%pg_stat_statements%%'"
            )
            row = cursor.fetchone()
            return int(row[0]) if row else None
    except psycopg2.Error:
        return None
    finally:
        connection.close()


@dataclass
class Bench:
    config: Config
    database: BenchDatabase
    work_dir: Path
    stamp: str
    run_prefix: str  # every user id of the run starts with it
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    servers: list[Server] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    app_errors: int = 0
    floor_errors: int = 0

    # -- set-up

    def cpu_layout(self) -> tuple[frozenset[int] | None, frozenset[int] | None]:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2:
            return frozenset({cpus[0]}), frozenset({cpus[1]})
        return None, None

    def server_env(self, database_url: str) -> dict[str, str]:
        return {
            "DATABASE_URL": database_url,
            "JWT_SECRET": self.secret,
            "DB_POOL_SIZE": str(self.config.pool_size),
            "DB_MAX_OVERFLOW": str(self.config.max_overflow),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }

    def start(
        self,
        name: str,
        module: str,
        database_url: str,
        cpus: frozenset[int] | None,
        workers: int | None = None,
    ) -> Server:
        log(f"starting {name} ({module}{f' --workers {workers}' if workers else ''})")
        server = start_server(
            name=name,
            module=module,
            port=free_port(),
            env=self.server_env(database_url),
            log_dir=self.work_dir,
            cpus=cpus,
            workers=workers,
        )
        self.servers.append(server)
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def users(self) -> Users:
        names = {role: f"{self.run_prefix}{role}" for role in ("main", "deep", "writer")}
        tokens = {
            role: mint_hs256_token(secret=self.secret, subject=name, ttl_seconds=TOKEN_TTL_SECONDS)
            for role, name in names.items()
        }
        return Users(main=names["main"], deep=names["deep"], writer=names["writer"], tokens=tokens)

    def seed(self, app: Server, users: Users) -> Path:
        c = self.config
        began = time.perf_counter()
        ids, summary = seed_through_api(app.url, users.tokens["main"], c.main_tasks, self.work_dir)
        api_seconds = time.perf_counter() - began
        log(f"seeded {len(ids):,} tasks of the main user through the API in {api_seconds:.1f} s")
        if len(ids) != c.main_tasks:
            raise RuntimeError(f"seeding through the API failed: {summary}")
        log(f"storing {c.deep_tasks:,} tasks of the deep user via TaskService.create_many")
        bulk_seconds = seed_in_process(
            self.database.url, self.secret, users.deep, c.deep_tasks,
            progress=lambda n: log(f"  {n:,}") if n % 20_000 == 0 else None,
        )  # fmt: skip
        extra, _ = seed_through_api(app.url, users.tokens["deep"], c.deep_api_tasks, self.work_dir)
        self.notes.append(
            (
                "seeding",
                f"main user: {len(ids):,} tasks through the API (POST, 16 concurrent, "
                f"{api_seconds:.1f} s); deep user: {c.deep_tasks:,} in-process through "
                f"TaskService.create_many -> SqlTaskRepository.add_many (1,000 per "
                f"transaction, {bulk_seconds:.1f} s) + {len(extra):,} newer ones through the "
                "API; writer user: every create of the runs",
            )
        )
        self.vacuum()
        ids_file = self.work_dir / "main.ids"
        ids_file.write_text("\n".join(ids) + "\n")
        return ids_file

    def vacuum(self) -> None:
        connection = psycopg2.connect(self.database.dsn())
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) tasks")
        finally:
            connection.close()

    def deep_cursor(self, app: Server, floor: Server, users: Users) -> str:
        """The cursor after the deep user's ``deep_tasks``-th task, checked against offset."""
        depth = self.config.deep_tasks
        token = users.tokens["deep"]
        status, _, items = http_json(app.url, f"/api/tasks?limit=1&offset={depth - 1}", token)
        if status != 200 or not items:
            raise RuntimeError(f"cannot read the deep user's task at depth {depth}: {status}")
        last = items[0]
        query = TaskQuery(user_id=users.deep, now=datetime.now(UTC), limit=PAGE_SIZE)
        position = Position(datetime.fromisoformat(last["created_at"]), uuid.UUID(last["id"]))
        cursor = encode_cursor(query, position)
        for server in (app, floor):
            by_offset = http_json(server.url, f"/api/tasks?limit=20&offset={depth}", token)
            by_cursor = http_json(server.url, f"/api/tasks?limit=20&cursor={cursor}", token)
            if by_offset[0] != 200 or by_cursor[0] != 200 or by_offset[2] != by_cursor[2]:
                raise RuntimeError(
                    f"{server.name}: the page after the cursor is not the page at offset {depth}"
                    f" ({by_offset[0]}, {by_cursor[0]})"
                )
        log(f"deep cursor checked: same page as offset={depth:,} on app and floor")
        return cursor

    # -- measuring

    def measure(
        self, driver: LoadDriver, server: Server, scenario: Scenario, seconds: int
    ) -> RunStats:
        plan_path = scenario.plan.write(self.work_dir / f"{scenario.name}.plan")
        run = driver.run(server, scenario.name, plan_path, scenario.plan.ids_file, seconds)
        if server.name.startswith("app"):
            self.app_errors += run.error_total
        else:
            self.floor_errors += run.error_total
        log(
            f"  {scenario.name:12s} {server.name:6s} {run.rps:8.0f} req/s  "
            f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  "
            f"cpu {run.server_cpu_ms_per_request:5.2f} ms/req  errors {run.error_total}"
        )
        return run

    def run_scenarios(
        self, driver: LoadDriver, app: Server, floor: Server, items: dict[str, Scenario]
    ) -> tuple[dict[str, Any], int, float]:
        c = self.config
        results: dict[str, Any] = {}
        mixed_requests = 0
        mixed_rate = 0.0
        for scenario in items.values():
            if c.warmup:
                for server in (floor, app):
                    warm = self.measure(driver, server, scenario, c.warmup)
                    if server is app and scenario.name == "mixed":
                        mixed_requests += warm.requests
            before = self.measure(driver, floor, scenario, c.duration)
            app_run = self.measure(driver, app, scenario, c.duration)
            after = self.measure(driver, floor, scenario, c.duration)
            if scenario.name == "mixed":
                mixed_requests += app_run.requests
                mixed_rate = app_run.rps
            floors = [before.as_dict(), after.as_dict()]
            results[scenario.name] = {
                "title": scenario.title,
                "writes": scenario.writes,
                "app": app_run.as_dict(),
                "floor": floors,
                "ratios": ratios(app_run.as_dict(), floors),
            }
        return results, mixed_requests, mixed_rate

    def cursor_vs_first_page(
        self, driver: LoadDriver, app: Server, items: dict[str, Scenario]
    ) -> dict[str, Any]:
        """The deep cursor page's p50 against page 1 of the same user, measured back to back.

        Page 1, the cursor page, page 1 again, on the app only: the target
        compares two app runs, so they are bracketed like app and floor
        (the scenarios' own runs are a floor run apart).
        """
        first, cursor = items["deep_first"], items["deep_cursor"]
        log("deep cursor vs page 1: page 1, cursor, page 1 (app)")
        duration = self.config.duration
        runs = [self.measure(driver, app, item, duration) for item in (first, cursor, first)]
        first_p50 = [runs[0].p50_ms, runs[2].p50_ms]
        cursor_p50 = runs[1].p50_ms
        mean_first = sum(first_p50) / 2
        return {
            "first_page_p50_ms": first_p50,
            "cursor_p50_ms": cursor_p50,
            "ratio": cursor_p50 / mean_first if mean_first else None,
        }

    def soak(
        self, driver: LoadDriver, app: Server, mixed: Scenario, done: int, rate: float
    ) -> dict[str, Any]:
        """Mixed load until ``soak_late`` mixed requests in all; RSS after every chunk."""
        c = self.config
        points = [(done, app.usage().rss_bytes)]
        log(f"RSS soak: mixed load up to {c.soak_late:,} requests (now {done:,})")
        while done < c.soak_late:
            target = c.soak_early if done < c.soak_early else c.soak_late
            seconds = max(1, min(30, math.ceil((target - done) / max(rate, 1.0))))
            run = self.measure(driver, app, mixed, seconds)
            done += run.requests
            rate = run.rps or rate
            points.append((done, app.usage().rss_bytes))
        early = next(((n, rss) for n, rss in points if n >= c.soak_early), points[0])
        late = points[-1]
        return {
            "points": points,
            "early_requests": early[0],
            "early_bytes": early[1],
            "late_requests": late[0],
            "late_bytes": late[1],
            "growth": late[1] / early[1] if early[1] else None,
        }

    def profile(self, driver: LoadDriver, app: Server, get: Scenario) -> dict[str, Any] | None:
        seconds = min(self.config.duration, 10)
        raw = RESULTS_DIR / f"{self.stamp}.pyspy.txt"
        recorder = start_recording(app.pid, seconds, raw)
        if recorder is None:
            self.notes.append(("profile", "py-spy is not installed: no profile"))
            return None
        log(f"profiling the app under get for {seconds} s (py-spy)")
        time.sleep(0.5)
        self.measure(driver, app, get, seconds)
        try:
            _, stderr = recorder.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.communicate()
            return None
        summary = summarize(raw)
        if summary is None:
            self.notes.append(("profile", f"py-spy gave no samples: {stderr.decode()[-300:]}"))
            return None
        return summary.as_dict()

    def scaling(self, scenario: Scenario) -> dict[str, Any]:
        driver = LoadDriver(tool=self.config.loadgen, connections=32, cpus=None)
        runs: dict[str, Any] = {}
        for workers in (1, 2):
            app = self.start(f"app-w{workers}", "todo_http", self.database.url, None, workers)
            try:
                if self.config.warmup:
                    self.measure(driver, app, scenario, self.config.warmup)
                runs[str(workers)] = self.measure(
                    driver, app, scenario, self.config.duration
                ).as_dict()
            finally:
                self.stop(app)
        return {"scenario": scenario.name, "cpus": os.cpu_count(), "runs": runs}

    def census(self, items: dict[str, Scenario]) -> tuple[dict[str, Any], dict[str, Any]]:
        upstream = make_url(self.database.url)
        counter = StatementCounter(upstream.host or "127.0.0.1", upstream.port or 5432)
        port = counter.start()
        proxied = (
            upstream.set(host="127.0.0.1", port=port)
            .update_query_dict({"sslmode": "disable"})
            .render_as_string(hide_password=False)
        )
        log("SQL census through the counting proxy")
        use_pgss = enable_pg_stat_statements(self.database.url)
        per_scenario: dict[str, Any] = {}
        texts: dict[str, Any] = {}
        try:
            app = self.start("app-census", "todo_http", proxied, None)
            floor = self.start("floor-census", "bench.floor", proxied, None)
            for scenario in items.values():
                entry: dict[str, Any] = {}
                for server in (app, floor):
                    pgss_before = pg_stat_statements_calls(self.database) if use_pgss else None
                    result = count_statements(
                        counter, server, scenario, self.config.census_requests
                    )
                    data = result.as_dict()
                    if pgss_before is not None:
                        pgss_after = pg_stat_statements_calls(self.database)
                        if pgss_after is not None:
                            data["pg_stat_statements_per_request"] = (
                                pgss_after - pgss_before
                            ) / max(result.requests, 1)
                    key = "app" if server is app else "floor"
                    entry[key] = data
                    if key == "app":
                        texts[scenario.name] = result.per_request.statements
                entry["same_data_sql"] = _data_sql(entry["app"]["statements"]) == _data_sql(
                    entry["floor"]["statements"]
                )
                per_scenario[scenario.name] = entry
                log(
                    f"  {scenario.name:12s} app {entry['app']['excluding_begin']:.2f} "
                    f"({entry['app']['round_trips']:.2f} round trips), floor "
                    f"{entry['floor']['excluding_begin']:.2f} "
                    f"({entry['floor']['round_trips']:.2f}); same SQL: {entry['same_data_sql']}"
                )
        finally:
            for server in list(self.servers):
                if server.name.endswith("-census"):
                    self.stop(server)
            counter.stop()
        method = (
            "counted on the wire by a PostgreSQL-protocol proxy (bench/sqlcount.py) in front of "
            f"a second app and floor process, {self.config.census_requests} requests per "
            "scenario (or 5 s, whichever first) at concurrency 4 after 20 warm-up requests"
        )
        if use_pgss:
            method += (
                "; pg_stat_statements deltas for the bench database in the JSON as a cross-check"
            )
        else:
            method += "; pg_stat_statements is not loaded on this server"
        self.notes.append(("SQL statements per request", method))
        return per_scenario, texts

    # -- the whole run

    def run(self) -> dict[str, Any]:
        c = self.config
        started = datetime.now(UTC)
        server_cpus, load_cpus = self.cpu_layout()
        self.notes.append(("database", self.database.origin))
        log(f"database: {self.database.origin}")
        upgrade_database(self.database.url)
        drift = sql_drift(self.database.url, f"{self.run_prefix}capture-")
        self.notes.append(
            (
                "floor",
                "raw ASGI under the same uvicorn, python-jose HS256, psycopg2 "
                "ThreadedConnectionPool (psycopg2.pool), stdlib json, the adapter's SQL copied "
                "from bench.capture_sql; still identical to what the adapter emits now: "
                + ", ".join(f"{name} {'yes' if same else 'NO'}" for name, same in drift.items()),
            )
        )
        if c.loadgen == "wrk":
            tool = f"wrk ({wrk_path()}), 1 thread, {c.connections} connections, bench/wrk/plan.lua"
        else:
            tool = f"Python asyncio client (bench/load.py), {c.connections} connections"
            if wrk_path() is None:
                log("wrk is not installed (apt-get install -y wrk): using the Python client")
        self.notes.append(("load generator", tool))
        pinning = (
            f"server(s) on CPU {sorted(server_cpus)}, load generator on CPU {sorted(load_cpus)}, "
            "PostgreSQL unpinned"
            if server_cpus and load_cpus
            else "one CPU only: nothing pinned"
        )
        self.notes.append(("pinning", pinning))
        self.notes.append(
            (
                "settings",
                f"{c.duration} s per run (+{c.warmup} s warm-up), one uvicorn worker, "
                f"DB_POOL_SIZE={c.pool_size} DB_MAX_OVERFLOW={c.max_overflow}, LOG_LEVEL="
                f"{self.server_env('')['LOG_LEVEL']}{', QUICK smoke run' if c.quick else ''}",
            )
        )
        driver = LoadDriver(tool=c.loadgen, connections=c.connections, cpus=load_cpus)
        users = self.users()
        app = self.start("app", "todo_http", self.database.url, server_cpus)
        floor = self.start("floor", "bench.floor", self.database.url, server_cpus)
        ids_file = self.seed(app, users)
        cursor = self.deep_cursor(app, floor, users)
        items = scenarios(users, ids_file, cursor, c.deep_tasks)
        log("warming up both servers with the mixed load")
        for server in (app, floor):
            self.measure(driver, server, items["mixed"], 2 if not c.quick else 1)
        self.app_errors = self.floor_errors = 0  # warm-up errors would show in the runs too
        log("scenarios: floor, app, floor")
        results, mixed_done, mixed_rate = self.run_scenarios(driver, app, floor, items)
        cursor_check = self.cursor_vs_first_page(driver, app, items)
        rss = self.soak(driver, app, items["mixed"], mixed_done, mixed_rate)
        profile = self.profile(driver, app, items["get"]) if c.profile else None
        rss["peak_bytes"] = app.usage().peak_rss_bytes
        rss["floor_peak_bytes"] = floor.usage().peak_rss_bytes
        self.stop(app)
        self.stop(floor)
        scaling = self.scaling(items["mixed"])
        census, texts = self.census(items)
        for name, entry in census.items():
            results[name]["census"] = entry
        output: dict[str, Any] = {
            "meta": {
                "started": started.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "notes": self.notes,
                "config": {k: getattr(c, k) for k in c.__dataclass_fields__},
                "cpus": sorted(os.sched_getaffinity(0)),
                "python": sys.version.split()[0],
            },
            "scenarios": results,
            "cursor_vs_first_page": cursor_check,
            "scaling": scaling,
            "rss": rss,
            "profile": profile,
            "census_statements": texts,
            "floor_sql_matches_adapter": drift,
            "errors": {"app": self.app_errors, "floor": self.floor_errors},
        }
        output["targets"] = target_checks(output)
        return output


def _data_sql(texts: dict[str, float]) -> set[str]:
    """The data statements of a census (no transaction control, pings or settings)."""
    skip = {"BEGIN", "COMMIT", "ROLLBACK", "SET", "SHOW"}
    return {t for t in texts if t.split(" ")[0].upper() not in skip and t != "SELECT ?"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark todo-core against a minimal floor.")
    parser.add_argument("--quick", action="store_true", help="a ~2 s per run smoke run")
    parser.add_argument("--duration", type=int, help="seconds per run (BENCH_DURATION)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    config = Config.from_args(args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work_dir = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    bench: Bench | None = None
    began = time.perf_counter()
    try:
        run_prefix = f"bench-{stamp}-{uuid.uuid4().hex[:6]}-"
        with bench_database(user_prefix=run_prefix) as database:
            bench = Bench(
                config=config,
                database=database,
                work_dir=work_dir,
                stamp=stamp,
                run_prefix=run_prefix,
            )
            try:
                results = bench.run()
            except BaseException:
                for server in bench.servers:
                    tail = server.log_tail(15)
                    if tail:
                        log(f"--- end of {server.name}'s log ---\n{tail}")
                raise
            finally:
                for server in list(bench.servers):
                    bench.stop(server)
    finally:
        if args.keep_logs:
            log(f"logs kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    results["meta"]["seconds"] = round(time.perf_counter() - began, 1)
    md_path, json_path = write_results(results, RESULTS_DIR, stamp)
    sys.stdout.write(render_markdown(results))
    log(f"written {md_path} and {json_path} ({results['meta']['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
