"""Turning a run's measurements into the results table, the target checks, and files.

Everything is rendered from the JSON-able ``results`` dict, which is written
as is next to the Markdown (``bench/results/<timestamp>.json`` and ``.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def floor_mean(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs]
    return sum(values) / len(values) if values else 0.0


def ratios(app: dict[str, Any], floors: list[dict[str, Any]]) -> dict[str, float | None]:
    """App figure / mean of the floor runs around it (before and after)."""

    def ratio(key: str) -> float | None:
        base = floor_mean(floors, key)
        return app[key] / base if base else None

    return {
        "rps": ratio("rps"),
        "p50": ratio("p50_ms"),
        "p99": ratio("p99_ms"),
        "cpu": ratio("server_cpu_ms_per_request"),
        "floor_rps_drift": (
            floors[-1]["rps"] / floors[0]["rps"] if len(floors) > 1 and floors[0]["rps"] else None
        ),
    }


def _f(value: float | None, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{suffix}"


def _sql(census: dict[str, Any] | None) -> str:
    if not census:
        return "n/a"
    return f"{census['excluding_begin']:.2f} ({census['round_trips']:.2f})"


def target_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: measured value, the bar, and whether it is met."""
    checks: list[dict[str, Any]] = []
    scenarios = results["scenarios"]

    def add(name: str, value: float | None, bar: str, met: bool | None) -> None:
        checks.append({"target": name, "value": value, "bar": bar, "met": met})

    for name in ("get", "mixed"):
        if name not in scenarios:
            continue
        r = scenarios[name]["ratios"]
        add(f"{name}: throughput vs floor", r["rps"], ">= 0.60x",
            None if r["rps"] is None else r["rps"] >= 0.6)  # fmt: skip
        add(f"{name}: p99 vs floor", r["p99"], "<= 2.00x",
            None if r["p99"] is None else r["p99"] <= 2.0)  # fmt: skip
    bracketed = results.get("cursor_vs_first_page")
    if bracketed:
        value = bracketed["ratio"]
        add("deep page by cursor: p50 vs page 1 (same user, back to back)", value, "<= 1.20x",
            None if value is None else value <= 1.2)  # fmt: skip
    for name, scenario in scenarios.items():
        census = (scenario.get("census") or {}).get("app")
        if not census or name == "mixed":
            continue
        bar = 3 if scenario["writes"] else 2
        value = census["excluding_begin"]
        add(f"{name}: SQL statements per request (excl. BEGIN)", value, f"<= {bar}",
            value <= bar + 0.05)  # fmt: skip
    rss = results.get("rss") or {}
    if rss.get("growth") is not None:
        add(
            f"RSS flat: {rss['late_requests']:,} vs {rss['early_requests']:,} mixed requests",
            rss["growth"], "<= 1.10x", rss["growth"] <= 1.10,
        )  # fmt: skip
    add("error responses under load (app, all runs)", results["errors"]["app"], "0",
        results["errors"]["app"] == 0)  # fmt: skip
    return checks


def _header(results: dict[str, Any], put: Callable[[str], None]) -> None:
    meta = results["meta"]
    put(f"# todo-core benchmark, {meta['started']}")
    put("")
    for label, value in meta["notes"]:
        put(f"- **{label}**: {value}")
    put("")


def _throughput(results: dict[str, Any], put: Callable[[str], None]) -> None:
    put("## Throughput and latency (app vs floor; floor = mean of the runs just before and after)")
    put("")
    put(
        "| scenario | app req/s | floor req/s | x floor | app p50 ms | app p99 ms "
        "| floor p50 ms | floor p99 ms | p99 x floor | floor drift |"
    )
    put("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scenario in results["scenarios"].values():
        app = scenario["app"]
        floors = scenario["floor"]
        r = scenario["ratios"]
        put(
            f"| {scenario['title']} | {_f(app['rps'], 0)} | {_f(floor_mean(floors, 'rps'), 0)} "
            f"| {_f(r['rps'])} | {_f(app['p50_ms'])} | {_f(app['p99_ms'])} "
            f"| {_f(floor_mean(floors, 'p50_ms'))} | {_f(floor_mean(floors, 'p99_ms'))} "
            f"| {_f(r['p99'])} | {_f(r['floor_rps_drift'])} |"
        )
    put("")
    bracketed = results.get("cursor_vs_first_page")
    if bracketed:
        before, after = bracketed["first_page_p50_ms"]
        put(
            f"Deep page by cursor vs page 1 of the same user, app runs back to back: page 1 "
            f"p50 {_f(before)} ms, cursor p50 {_f(bracketed['cursor_p50_ms'])} ms, page 1 "
            f"again {_f(after)} ms: **{_f(bracketed['ratio'])}x**."
        )
        put("")


def _costs(results: dict[str, Any], put: Callable[[str], None]) -> None:
    put("## Cost per request")
    put("")
    put(
        "SQL = statements per request without psycopg2's implicit `BEGIN` (in brackets: "
        "every round trip, `BEGIN` and pool pings included), counted on the wire. "
        "Load CPU / server CPU < 1 means the load generator was not the bottleneck."
    )
    put("")
    put(
        "| scenario | app CPU ms/req | floor CPU ms/req | CPU x floor | app SQL/req "
        "| floor SQL/req | app errors | floor errors | load CPU / server CPU (app) |"
    )
    put("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scenario in results["scenarios"].values():
        app = scenario["app"]
        floors = scenario["floor"]
        census = scenario.get("census") or {}
        load_share = app["load_cpu_s"] / app["server_cpu_s"] if app["server_cpu_s"] else None
        floor_cpu = floor_mean(floors, "server_cpu_ms_per_request")
        put(
            f"| {scenario['title']} | {_f(app['server_cpu_ms_per_request'])} "
            f"| {_f(floor_cpu)} | {_f(scenario['ratios']['cpu'])} "
            f"| {_sql(census.get('app'))} | {_sql(census.get('floor'))} "
            f"| {app['error_total']} | {sum(f['error_total'] for f in floors)} "
            f"| {_f(load_share)} |"
        )
    put("")


def _scaling(results: dict[str, Any], put: Callable[[str], None]) -> None:
    scaling = results.get("scaling")
    if not scaling:
        return
    put(
        f"## Scaling: `--workers N`, scenario {scaling['scenario']} (nothing pinned: "
        f"server, load and PostgreSQL share {scaling['cpus']} cores)"
    )
    put("")
    put("| workers | req/s | x 1 worker | p50 ms | p99 ms | server CPU ms/req | errors |")
    put("|---:|---:|---:|---:|---:|---:|---:|")
    one = scaling["runs"].get("1", {}).get("rps") or None
    for workers, run in scaling["runs"].items():
        put(
            f"| {workers} | {_f(run['rps'], 0)} | {_f(run['rps'] / one if one else None)} "
            f"| {_f(run['p50_ms'])} | {_f(run['p99_ms'])} "
            f"| {_f(run['server_cpu_ms_per_request'])} | {run['error_total']} |"
        )
    put("")


def _memory(results: dict[str, Any], put: Callable[[str], None]) -> None:
    rss = results.get("rss")
    if not rss:
        return
    put("## Memory of the app server (1 worker)")
    put("")
    put(
        f"- peak RSS over the whole run (VmHWM): **{rss['peak_bytes'] / MIB:.1f} MiB** "
        f"(the floor's: {rss.get('floor_peak_bytes', 0) / MIB:.1f} MiB)"
    )
    if rss.get("growth") is not None:
        put(
            f"- RSS at {rss['early_requests']:,} mixed requests: "
            f"{rss['early_bytes'] / MIB:.1f} MiB; at {rss['late_requests']:,}: "
            f"{rss['late_bytes'] / MIB:.1f} MiB (x{rss['growth']:.3f})"
        )
    points = ", ".join(f"{n:,}: {b / MIB:.1f}" for n, b in rss.get("points", []))
    put(f"- RSS (MiB) by cumulative mixed requests: {points}")
    put("")


def _statements(results: dict[str, Any], put: Callable[[str], None]) -> None:
    census = results.get("census_statements")
    if not census:
        return
    put("## The SQL each scenario sends (app, per request, literals as `?`)")
    put("")
    for name, statements in census.items():
        shown = "; ".join(
            f"{count:.2f} x `{text[:90]}{'...' if len(text) > 90 else ''}`"
            for text, count in statements.items()
        )
        put(f"- **{name}**: {shown}")
    put("")


def _targets(results: dict[str, Any], put: Callable[[str], None]) -> None:
    put("## Targets (measured and reported, not asserted)")
    put("")
    put("| target | measured | bar | met |")
    put("|---|---:|---:|:---:|")
    for check in results["targets"]:
        value = check["value"]
        shown = _f(value, 3) if isinstance(value, float) else str(value)
        met = {True: "yes", False: "**no**", None: "n/a"}[check["met"]]
        put(f"| {check['target']} | {shown} | {check['bar']} | {met} |")
    put("")


def _profile(results: dict[str, Any], put: Callable[[str], None]) -> None:
    profile = results.get("profile")
    if not profile:
        return
    put(f"## Profile of the app under `get` (py-spy, {profile['samples']:,} samples)")
    put("")
    shares = ", ".join(f"{name} {share:.1f}%" for name, share in profile["packages"])
    put(f"Self time by library (stdlib charged to its caller), samples with the GIL: {shares}")
    put("")
    put("| top frames, inclusive | % | top frames, self | % |")
    put("|---|---:|---|---:|")
    for (inc, inc_share), (own, own_share) in zip(
        profile["inclusive"], profile["self"], strict=False
    ):
        put(f"| `{inc}` | {inc_share:.1f} | `{own}` | {own_share:.1f} |")
    put("")


def render_markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    for section in (_header, _throughput, _costs, _scaling, _memory, _targets, _profile,
                    _statements):  # fmt: skip
        section(results, lines.append)
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], directory: Path, stamp: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stamp}.json"
    md_path = directory / f"{stamp}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(render_markdown(results))
    return md_path, json_path
