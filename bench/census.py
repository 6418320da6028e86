"""SQL statements per request, counted on the wire (see ``bench/sqlcount.py``).

A second app and a second floor (one worker each, not pinned, not timed) get
a ``DATABASE_URL`` that goes through the counting proxy. Per scenario: a few
warm-up requests, then a fixed number of requests at low concurrency, and the
statements the proxy saw in between divided by the requests answered (a
fixed count, or fewer when a slow scenario reaches the time cap: every request
started is answered before the count is read, so the division stays exact).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bench.load import run_requests
from bench.scenarios import Scenario
from bench.server import Server
from bench.sqlcount import StatementCounter, StatementsPerRequest, delta, per_request

WARMUP_REQUESTS = 20
CONCURRENCY = 4
#: Slow scenarios (the deep offset) stop after this many seconds, whatever the count.
TIME_CAP_SECONDS = 5.0


@dataclass(slots=True)
class CensusResult:
    requests: int
    per_request: StatementsPerRequest
    non_2xx: int
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        spr = self.per_request
        return {
            "requests": self.requests,
            "non_2xx": self.non_2xx,
            "statuses": self.statuses,
            "round_trips": spr.total,
            "excluding_begin": spr.total - spr.begin,
            "data": spr.data,
            "begin": spr.begin,
            "commit": spr.commit,
            "rollback": spr.rollback,
            "ping": spr.ping,
            "other": spr.other,
            "statements": spr.statements,
        }


def count_statements(
    counter: StatementCounter, server: Server, scenario: Scenario, requests: int
) -> CensusResult:
    plan_path = scenario.plan.write(
        server.log_path.parent / f"census-{server.name}-{scenario.name}.plan"
    )
    ids = scenario.plan.ids_file
    asyncio.run(
        run_requests(
            server.url, plan_path, ids=ids, connections=CONCURRENCY, requests=WARMUP_REQUESTS
        )
    )
    time.sleep(0.2)
    before = counter.snapshot()
    summary = asyncio.run(
        run_requests(
            server.url,
            plan_path,
            ids=ids,
            connections=CONCURRENCY,
            requests=requests,
            duration=TIME_CAP_SECONDS,
        )
    )
    time.sleep(0.2)  # a connection's ROLLBACK on return may trail the response
    after = counter.snapshot()
    answered = int(summary["requests"])  # type: ignore[call-overload]
    statuses: dict[str, int] = summary["statuses"]  # type: ignore[assignment]
    non_2xx = sum(count for code, count in statuses.items() if not code.startswith("2"))
    return CensusResult(
        requests=answered,
        per_request=per_request(delta(after, before), answered),
        non_2xx=non_2xx,
        statuses=statuses,
    )
