"""The results as Markdown, and the issue's targets checked against them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MIB = 1024 * 1024
#: Throughput bars against the floor; p99 at most 2x the floor's everywhere.
RPS_BARS = {"get": 0.6, "mixed": 0.6, "create": 0.5, "update": 0.5}
# The same bars against a floor that also does the changes feed's bookkeeping (``?feed=1``).
RPS_BARS |= {f"{name}_feed": RPS_BARS[name] for name in ("mixed", "create", "update")}
#: The writes weighed with and without the feed's bookkeeping on the floor.
FEED_PAIRS = ("create", "update", "mixed")
P99_BAR = 2.0


def _mean(runs: list[dict[str, Any]], key: str) -> float:
    return sum(run[key] for run in runs) / len(runs)


def ratio(entry: dict[str, Any], key: str) -> float:
    return float(entry["app"][key]) / _mean(entry["floors"], key)


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _tables(results: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(label, scenario, entry) of every app-vs-floor triple of the run."""
    for level, entries in results["levels"].items():
        for name, entry in entries.items():
            yield f"{level} connections", name, entry
    for level, entries in results["workers2"].items():
        for name, entry in entries.items():
            yield f"2 workers, {level} connections", name, entry


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: what was measured, the bar, whether it is met."""
    checks: list[dict[str, Any]] = []

    def add(target: str, value: float, bar: str, met: bool) -> None:
        checks.append({"target": target, "value": value, "bar": bar, "met": met})

    for label, name, entry in _tables(results):
        if name in RPS_BARS:
            rps, bar = ratio(entry, "rps"), RPS_BARS[name]
            add(f"{name} req/s vs floor, {label}", rps, f">= {bar}x", rps >= bar)
    for label, name, entry in _tables(results):
        p99 = ratio(entry, "p99_ms")
        add(f"{name} p99 vs floor, {label}", p99, f"<= {P99_BAR}x", p99 <= P99_BAR)
    runs = [(label, entry["app"]) for label, _, entry in _tables(results)]
    sessions = sum(run["sessions"] for _, run in runs)
    errors = sum(run["errors"] for _, run in runs)
    add("sessions opened by the app, all timed runs", sessions, "0", sessions == 0)
    add("error responses of the app, all timed runs", errors, "0", errors == 0)
    if results["cursor"]:
        cursor = results["cursor"]["ratio"]
        add("deep cursor p50 vs page 1 (app, back to back)", cursor, "<= 1.2x", cursor <= 1.2)
    if soak := results["soak"]:
        growth = soak["growth"]
        target = f"RSS at {soak['late'][0]:,} vs at {soak['early'][0]:,} mixed requests"
        add(target, growth, "<= 1.10x", growth <= 1.10)
    return checks


def _sql(census: dict[str, Any], name: str, server: str) -> str:
    entry = census.get(name, {}).get(server)
    return "n/a" if entry is None else f"{entry['per_request']:.2f}"


def _triples(results: dict[str, Any], entries: dict[str, Any], put: Callable[[str], None]) -> None:
    census = results["census"]
    put(
        "| scenario | app req/s | floor req/s | **x floor** | app p99 ms | floor p99 ms "
        "| **p99 x floor** | sessions opened app / floor | DB CPU ms/req app / floor "
        "| SQL/req app / floor | errors app / floor | server CPU ms/req app / floor "
        "| floor drift | other load |"
    )
    put("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, e in entries.items():
        app, floors = e["app"], e["floors"]
        db_floor = None if None in [f["db_cpu_ms"] for f in floors] else _mean(floors, "db_cpu_ms")
        retried = " (2nd try)" if e["attempts"] > 1 else ""
        put(
            f"| {e['title']} | {_f(app['rps'], 0)} | {_f(_mean(floors, 'rps'), 0)} "
            f"| **{_f(ratio(e, 'rps'))}** | {_f(app['p99_ms'])} | {_f(_mean(floors, 'p99_ms'))} "
            f"| **{_f(ratio(e, 'p99_ms'))}** "
            f"| {app['sessions']} / {sum(f['sessions'] for f in floors)} "
            f"| {_f(app['db_cpu_ms'], 3)} / {_f(db_floor, 3)} "
            f"| {_sql(census, name, 'app')} / {_sql(census, name, 'floor')} "
            f"| {app['errors']} / {sum(f['errors'] for f in floors)} "
            f"| {_f(app['server_cpu_ms'], 3)} / {_f(_mean(floors, 'server_cpu_ms'), 3)} "
            f"| {_f(e['drift'])} | {e['other_load']:.0%}{retried} |"
        )
    put("")


def _notes(results: dict[str, Any], put: Callable[[str], None]) -> None:
    meta = results["meta"]
    c, pin = meta["config"], meta["pinning"]
    quick = "; QUICK smoke run" if c["quick"] else ""
    put(f"- database: {meta.get('database', '?')}; {meta['seconds']} s in all{quick}")
    put(
        f"- each timed run {c['seconds']} s (after {c['warmup']} s of warm-up per server and "
        "scenario), wrk 1 thread keep-alive; ratios: app / mean of the floor runs just before "
        "and after; floor drift: 2nd floor run / 1st; other load: the largest share of the "
        "machine's CPU taken during the triple by processes other than the server, wrk and "
        "the bench database's backends (a triple is run again past 15% drift; "
        f"{meta['waited_for_quiet_seconds']:.0f} s spent waiting for a quiet machine "
        "before triples)"
    )
    put(
        f"- one uvicorn worker each, servers on CPU {pin['servers']}, wrk on CPU {pin['wrk']}, "
        "PostgreSQL unpinned; the app with its default settings (`DB_POOL_SIZE` 10, 5 per "
        "worker with 2 workers); the "
        f"floor: Starlette, a psycopg 3 async pool of {meta['floor_pool']} per worker, "
        "autocommit, one statement per request"
    )
    put(
        "- sessions opened: delta of `pg_stat_database.sessions` over the run, read "
        f"{meta['settle_seconds']} s after it (a backend publishes its statistics at its first "
        "idle moment, then at most once a second, and when it ends)"
    )
    put(
        "- DB CPU: utime+stime of the bench database's backends (`pg_stat_activity` -> /proc) "
        "over the run; a backend that started and ended within the run is missed"
    )
    put(
        "- SQL/req: statements on the wire (tests/support/pg_wire.py) in a short side run of "
        "a proxied app and floor at 4 connections, never during the timed runs"
    )
    put("")


def _findings(results: dict[str, Any], put: Callable[[str], None]) -> None:
    put("## Targets")
    put("")
    put("| target | measured | bar | met |")
    put("|---|---:|---:|:---:|")
    for check in results["targets"]:
        value = check["value"]
        shown = _f(value) if isinstance(value, float) else str(value)
        met = "yes" if check["met"] else "**NO**"
        put(f"| {check['target']} | {shown} | {check['bar']} | {met} |")
    put("")
    if cursor := results["cursor"]:
        page1 = " / ".join(_f(v) for v in cursor["page1_p50_ms"])
        put(
            f"Deep cursor vs page 1, app runs back to back: page 1 p50 {page1} ms, cursor p50 "
            f"{_f(cursor['cursor_p50_ms'])} ms: **{_f(cursor['ratio'])}x**."
        )
        put("")
    if soak := results["soak"]:
        points = ", ".join(f"{n:,}: {rss / MIB:.1f}" for n, rss in soak["points"])
        put(f"RSS of the app (MiB) by mixed requests of the soak: {points}")
        put("")
    put("## Statements per request on the wire, by kind")
    put("")
    for name, servers in results["census"].items():
        shown = "; ".join(
            f"{server} " + " + ".join(f"{n:.2f} {kind}" for kind, n in entry["kinds"].items())
            for server, entry in servers.items()
        )
        put(f"- **{name}**: {shown}")
    put("")
    if prof := results["profile"]:
        put(
            f"## Profile of the app under {prof['scenario']} (py-spy --gil, "
            f"{prof['samples']:,} samples; raw: bench/results/{prof['raw']})"
        )
        put("")
        put("| top frames, self | % | top frames, inclusive | % |")
        put("|---|---:|---|---:|")
        for (own, own_share), (inc, inc_share) in zip(
            prof["self"], prof["inclusive"], strict=False
        ):
            put(f"| `{own}` | {own_share} | `{inc}` | {inc_share} |")
        put("")


def _feed_cost(results: dict[str, Any], put: Callable[[str], None]) -> None:
    """The writes with and without the changes feed's bookkeeping: the floor both ways, the app."""
    tables = [("1 worker pinned", results["levels"]), ("2 workers", results["workers2"])]
    rows = [
        (f"{level}, {label}", name, entries[name], entries[f"{name}_feed"])
        for label, levels in tables
        for level, entries in levels.items()
        for name in FEED_PAIRS
        if name in entries and f"{name}_feed" in entries
    ]
    if not rows:
        return
    census = results["census"]
    put("## The changes feed's bookkeeping on the writes")
    put("")
    put(
        "The floor's plain one-statement writes against the same writes with the feed's "
        "bookkeeping (`?feed=1`: the create is the SQL adapter's own statement, `WITH written "
        "AS (INSERT INTO tasks ...), bumped AS (INSERT INTO change_clocks ...) INSERT INTO "
        "task_changes ...`; the update wraps the floor's `UPDATE` the same way), and the "
        "service, which always does it. **app x floor+feed** is the service against a floor "
        "doing the same work."
    )
    put("")
    put(
        "| connections | scenario | floor req/s | floor+feed req/s | **feed cost** "
        "| app req/s | **app x floor+feed** | DB CPU ms/req floor / floor+feed / app "
        "| SQL/req floor / floor+feed / app | other load |"
    )
    put("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level, name, plain, fed in rows:
        floor_rps, fed_rps = _mean(plain["floors"], "rps"), _mean(fed["floors"], "rps")
        cpu = [
            None if None in [f["db_cpu_ms"] for f in plain["floors"]] else
            _mean(plain["floors"], "db_cpu_ms"),
            None if None in [f["db_cpu_ms"] for f in fed["floors"]] else
            _mean(fed["floors"], "db_cpu_ms"),
            plain["app"]["db_cpu_ms"],
        ]  # fmt: skip
        app_rps = mean_of([plain["app"]["rps"], fed["app"]["rps"]])
        sql = (_sql(census, name, "floor"), _sql(census, f"{name}_feed", "floor"))
        put(
            f"| {level} | {name} | {_f(floor_rps, 0)} | {_f(fed_rps, 0)} "
            f"| **{_f(fed_rps / floor_rps)}x** | {_f(app_rps, 0)} "
            f"| **{_f(app_rps / fed_rps)}** "
            f"| {' / '.join(_f(v, 3) for v in cpu)} "
            f"| {sql[0]} / {sql[1]} / {_sql(census, name, 'app')} "
            f"| {max(plain['other_load'], fed['other_load']):.0%} |"
        )
    put("")


def _ceiling(results: dict[str, Any], put: Callable[[str], None]) -> None:
    """One user's creates on PostgreSQL alone, against the plain floor's bar."""
    ceiling = results.get("ceiling")
    if not ceiling:
        return
    rates, clients, seconds = ceiling["rates"], ceiling["clients"], ceiling["seconds"]
    put("## One user's creates on PostgreSQL alone")
    put("")
    put(
        f"pgbench, {clients} clients, prepared statements, {seconds} s each, no Python server "
        "(`bench/write_ceiling.py`). The service's create moves the user's `change_clocks` "
        "row (the feed's number in commit order, the quota's count) and holds it to its "
        "commit, so one user's creates are serialised whoever sends them; the bench's writer "
        "is one user."
    )
    put("")
    put("| statement | creates/s |")
    put("|---|---:|")
    for name, rate in rates.items():
        put(f"| {name} | {_f(rate, 0)} |")
    put("")
    entries = results["levels"].get(str(clients), {})
    if "create" not in entries:
        return
    bar = RPS_BARS["create"] * _mean(entries["create"]["floors"], "rps")
    one_user = rates["feed, one user"]
    line = (
        f"The create bar at {clients} connections, {RPS_BARS['create']}x the plain floor, is "
        f"{_f(bar, 0)} creates/s. PostgreSQL alone, both cores its own and no server, runs "
        f"the service's create for one user at {_f(one_user, 0)} (**{_f(one_user / bar)}x the "
        "bar**)"
    )
    if fed := entries.get("create_feed"):
        fed_rps = _mean(fed["floors"], "rps")
        line += (
            f"; the floor sending that statement reached {_f(fed_rps, 0)} "
            f"(**{_f(fed_rps / bar)}x the bar**)"
        )
    put(line + ".")
    put("")


def _plans(results: dict[str, Any], put: Callable[[str], None]) -> None:
    """Each statement as plain ``Query`` messages and prepared, on PostgreSQL alone."""
    plans = results.get("plans")
    if not plans:
        return
    put("## Parsing and planning, statement by statement")
    put("")
    put(
        f"pgbench, 1 client, {plans['seconds']} s each, `synchronous_commit = off` "
        "(`bench/plan_cost.py`): the service's statements (psycopg2 sends each as a plain "
        "`Query`, parsed and planned every time) and the floor's, sent that way and prepared "
        "(as the floor's psycopg 3 sends them after a few uses)."
    )
    put("")
    put("| statement | simple /s | prepared /s | prepared / simple |")
    put("|---|---:|---:|---:|")
    for name, rates in plans["rates"].items():
        simple, prepared = rates["simple"], rates["prepared"]
        put(f"| {name} | {_f(simple, 0)} | {_f(prepared, 0)} | {_f(prepared / simple)} |")
    put("")


def mean_of(values: list[float]) -> float:
    return sum(values) / len(values)


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    put = lines.append
    meta = results["meta"]
    put(f"# todo-core benchmark, {meta['started']} (commit {meta['commit']})")
    put("")
    _notes(results, put)
    for level, entries in results["levels"].items():
        put(f"## {level} connections, 1 worker pinned")
        put("")
        _triples(results, entries, put)
    for level, entries in results["workers2"].items():
        pinned = meta["config"].get("pin_workers")
        pinning = "each worker on a core of its own" if pinned else "nothing pinned"
        put(f"## 2 workers (`--workers 2`), {level} connections, {pinning}")
        put("")
        _triples(results, entries, put)
    _feed_cost(results, put)
    _ceiling(results, put)
    _plans(results, put)
    _findings(results, put)
    return "\n".join(lines) + "\n"
