"""How many statements each use case sends to PostgreSQL.

Counted twice: at the cursor (SQLAlchemy's ``before_cursor_execute`` and
``commit`` events) and on the wire, through a proxy that reads what psycopg2
actually sends, including what SQLAlchemy never sees (psycopg2's own
``BEGIN``) and the pool's ping (``PING``). Reads open no transaction; a use
case's only write goes out alone (autocommit), after its read; several writes
are one transaction. A connection back in the pool for less than
``ping_after_idle_seconds`` is used without a ping, so a busy server sends
none; one idle for longer is pinged once, and one that died while idle is
replaced before the use case sees it.

The statements are counted as SQLAlchemy compiles them (``prepared_statements``
off, so that their text can be read here); the same use cases prepared, and
what that sends, are in ``test_sql_prepared.py``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pytest
from sqlalchemy import Engine, event

from tests.integration.conftest import sql_uow_factory
from tests.support.builders import fresh_user_id, make_task
from tests.support.clock import FakeClock
from tests.support.held_commit import CommitGate, HeldCommit
from tests.support.pg_wire import WireLog
from tests.support.tcp_proxy import TcpProxy
from todo_adapters.sql import SqlUnitOfWork, make_engine
from todo_adapters.sql.engine import statement_timeout_prefix
from todo_core.edits import TaskChanges, TaskDraft
from todo_core.errors import TaskNotFound, VersionConflict
from todo_core.idempotency import IdempotencyInProgress, Once, StoredResponse
from todo_core.model import Task, TaskPriority
from todo_core.queries import SortField, TaskFilter
from todo_core.services import ListRequest, TaskService

pytestmark = pytest.mark.postgres


@dataclass
class Traffic:
    """Statements and commits seen on an engine while recording, and the wire's log."""

    wire: WireLog
    statements: list[str] = field(default_factory=list)
    commits: int = 0
    recording: bool = False
    sent: list[str] = field(default_factory=list)

    def measure(self, action: Callable[[], Any]) -> tuple[int, int, str]:
        """Run ``action``; return (statements, commits, the wire's kinds) it caused."""
        self.statements.clear()
        self.commits = 0
        self.wire.clear()
        self.recording = True
        try:
            action()
        finally:
            self.recording = False
            self.sent = self.wire.snapshot()
        return len(self.statements), self.commits, " ".join(self.sent)


@pytest.fixture
def wire() -> WireLog:
    return WireLog()


#: Longer than any test: every connection counts as recently used.
BUSY: Final = 3600.0
#: As served (``DB_STATEMENT_TIMEOUT_MS``): the counts below include its cost (none).
STATEMENT_TIMEOUT_MS: Final = 5000
TIMEOUT_PREFIX: Final = statement_timeout_prefix(STATEMENT_TIMEOUT_MS)
#: A due date: a change of it is not a plain patch, so an update takes the general path.
DUE: Final = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
#: Short enough to sleep past.
SHORT_IDLE: Final = 0.05


@pytest.fixture
def proxy(postgres_url: str, wire: WireLog) -> Iterator[TcpProxy]:
    with TcpProxy.in_front_of(postgres_url, tap=wire.stream) as started:
        yield started


@pytest.fixture
def idle_window() -> float:
    return BUSY


@pytest.fixture
def wired_engine(postgres_url: str, proxy: TcpProxy, idle_window: float) -> Iterator[Engine]:
    """An engine (``make_engine``) whose connections go through a tapped proxy."""
    engine = make_engine(
        proxy.through(postgres_url),
        ping_after_idle_seconds=idle_window,
        statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        prepared_statements=False,
    )
    yield engine
    engine.dispose()


@pytest.fixture
def traffic(wired_engine: Engine, wire: WireLog) -> Iterator[Traffic]:
    seen = Traffic(wire)

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if seen.recording:  # as the use case wrote it (the timeout's prefix is tested apart)
            seen.statements.append(statement.removeprefix(TIMEOUT_PREFIX))

    def on_commit(_conn: Any) -> None:
        if seen.recording:
            seen.commits += 1

    event.listen(wired_engine, "before_cursor_execute", on_statement)
    event.listen(wired_engine, "commit", on_commit)
    yield seen
    event.remove(wired_engine, "before_cursor_execute", on_statement)
    event.remove(wired_engine, "commit", on_commit)


@pytest.fixture
def service(wired_engine: Engine) -> TaskService:
    return TaskService(uow_factory=sql_uow_factory(wired_engine), clock=FakeClock())


def test_each_use_case_costs_at_most_two_statements_and_no_transaction(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    for n in range(3):
        service.create(actor=user_id, draft=TaskDraft(title=f"seed {n}"))
    task = service.create(actor=user_id, draft=TaskDraft(title="measured"))
    doomed = service.create(actor=user_id, draft=TaskDraft(title="pruning"))
    service.delete(actor=user_id, task_id=doomed.id)  # the worker's first prune of tombstones
    first_page = service.list(actor=user_id, request=ListRequest(limit=2))
    assert first_page.next_cursor is not None

    costs = {
        "create": traffic.measure(
            lambda: service.create(actor=user_id, draft=TaskDraft(title="new"))
        ),
        "get": traffic.measure(lambda: service.get(actor=user_id, task_id=task.id)),
        "list": traffic.measure(lambda: service.list(actor=user_id, request=ListRequest())),
        "list, filtered and sorted": traffic.measure(
            lambda: service.list(
                actor=user_id,
                request=ListRequest(
                    filter=TaskFilter(search="seed", priorities=frozenset({TaskPriority.MEDIUM})),
                    sort=SortField.TITLE,
                ),
            )
        ),
        "list, next page by cursor": traffic.measure(
            lambda: service.list(
                actor=user_id, request=ListRequest(limit=2, cursor=first_page.next_cursor)
            )
        ),
        "list, offset past the end": traffic.measure(
            lambda: service.list(actor=user_id, request=ListRequest(offset=1000))
        ),
        "update": traffic.measure(
            lambda: service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(title="renamed")
            )
        ),
        "update, not only plain fields": traffic.measure(
            lambda: service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(title="again", due_date=DUE)
            )
        ),
        "complete": traffic.measure(lambda: service.set_completed(actor=user_id, task_id=task.id)),
        "stats": traffic.measure(lambda: service.stats(actor=user_id)),
        "delete": traffic.measure(lambda: service.delete(actor=user_id, task_id=task.id)),
    }

    # (statements, SQLAlchemy's commits) at the cursor; then every round trip on the wire:
    # a lone write is atomic by itself and goes on the cursor in autocommit (nothing for
    # SQLAlchemy to commit), and no ping on a busy connection.
    # A task's write carries the changes feed's bookkeeping in the same statement
    # (``WITH written AS (<write>), bumped AS (<clock>) INSERT INTO task_changes``).
    # A patch of plain fields needs no read: its write is conditional on a change.
    assert costs == {
        "create": (1, 0, "WITH"),
        "get": (1, 0, "SELECT"),
        "list": (1, 0, "SELECT"),
        "list, filtered and sorted": (1, 0, "SELECT"),
        "list, next page by cursor": (1, 0, "SELECT"),
        "list, offset past the end": (1, 0, "SELECT"),
        "update": (1, 0, "WITH"),
        "update, not only plain fields": (2, 0, "SELECT WITH"),
        "complete": (2, 0, "SELECT WITH"),
        "stats": (1, 0, "SELECT"),
        "delete": (2, 0, "SELECT WITH"),
    }


def _once(key: str) -> Once:
    return Once(key, "fp", lambda written: StoredResponse(201, str(written.task.id)))


def test_a_keyed_write_adds_its_key_in_one_transaction_and_a_key_in_use_is_refused_at_once(
    service: TaskService, postgres_engine: Engine, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="to complete"))
    # The worker's first prune of keys and tombstones follows its first keyed write.
    service.create_once(actor=user_id, draft=TaskDraft(title="k"), once=_once("prune"))

    costs = {
        "create, keyed": traffic.measure(
            lambda: service.create_once(actor=user_id, draft=TaskDraft(title="k"), once=_once("c"))
        ),
        "complete, keyed": traffic.measure(
            lambda: service.set_completed_once(actor=user_id, task_id=task.id, once=_once("t"))
        ),
        "create, replayed": traffic.measure(
            lambda: service.create_once(actor=user_id, draft=TaskDraft(title="k"), once=_once("c"))
        ),
    }

    # The key is stored first, in the write's transaction: the key's INSERT is the
    # only statement added to a write (its check that no other request holds the key,
    # ``pg_try_advisory_xact_lock``, is part of it; so no wait and no extra statement).
    # A replay tries the insert (0 rows), rolls back and reads the stored response.
    assert costs == {
        "create, keyed": (2, 1, "BEGIN INSERT WITH COMMIT"),
        "complete, keyed": (3, 1, "SELECT BEGIN INSERT WITH COMMIT"),
        "create, replayed": (2, 0, "BEGIN INSERT ROLLBACK SELECT"),
    }
    assert "pg_try_advisory_xact_lock" in traffic.statements[0]

    # The same key while its first request (on another engine) is still open: no wait.
    gate = CommitGate()
    held = TaskService(uow_factory=lambda: HeldCommit(postgres_engine, gate), clock=FakeClock())
    first = threading.Thread(
        target=lambda: held.create_once(actor=user_id, draft=TaskDraft(title="o"), once=_once("o"))
    )
    first.start()
    try:
        assert gate.reached.wait(5)

        def in_progress() -> None:
            with pytest.raises(IdempotencyInProgress):
                service.create_once(actor=user_id, draft=TaskDraft(title="o"), once=_once("o"))

        started = time.monotonic()
        refused = traffic.measure(in_progress)
        elapsed = time.monotonic() - started
    finally:
        gate.release()
        first.join()
    assert refused == (2, 0, "BEGIN INSERT ROLLBACK SELECT")
    assert elapsed < 1.0


def test_every_statement_carries_the_statement_timeout_in_its_own_message(
    service: TaskService, traffic: Traffic, wire: WireLog
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="seed"))
    doomed = service.create(actor=user_id, draft=TaskDraft(title="pruning"))
    service.delete(actor=user_id, task_id=doomed.id)  # the worker's first prune of tombstones
    actions: list[tuple[Callable[[], Any], str]] = [
        (lambda: service.create(actor=user_id, draft=TaskDraft(title="new")), "WITH"),
        (lambda: service.list(actor=user_id, request=ListRequest()), "SELECT"),
        (
            lambda: service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(title="changed")
            ),
            "WITH",
        ),
        (
            lambda: service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(due_date=DUE)
            ),
            "SELECT WITH",
        ),
        (lambda: service.delete(actor=user_id, task_id=task.id), "SELECT WITH"),
    ]

    for action, expected in actions:
        _, _, sent = traffic.measure(action)

        assert sent == expected
        assert wire.timed == len(sent.split())  # in the statement's own message


def test_error_paths_cost_one_statement_and_no_commit(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="conditional"))

    def missing() -> None:
        with pytest.raises(TaskNotFound):
            service.set_completed(actor=user_id, task_id=uuid.uuid4())

    def stale() -> None:
        with pytest.raises(VersionConflict):
            service.delete(actor=user_id, task_id=task.id, expected_version=7)

    assert traffic.measure(missing) == (1, 0, "SELECT")
    assert traffic.measure(stale) == (1, 0, "SELECT")


def test_a_patch_that_writes_nothing_is_followed_by_the_read_that_tells_why(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="same"))

    def missing() -> None:
        with pytest.raises(TaskNotFound):
            service.update(actor=user_id, task_id=uuid.uuid4(), changes=TaskChanges(title="x"))

    def stale() -> None:
        with pytest.raises(VersionConflict):
            service.update(
                actor=user_id, task_id=task.id, changes=TaskChanges(title="x"), expected_version=7
            )

    def unchanged() -> None:
        written = service.update(actor=user_id, task_id=task.id, changes=TaskChanges(title="same"))
        assert written.task.version == 1

    # The patch's unit commits (its write was held back until then); the write and the
    # read after it go on the cursor in autocommit: no COMMIT, nothing for SQLAlchemy to
    # commit.
    assert traffic.measure(missing) == (2, 0, "WITH SELECT")
    assert traffic.measure(stale) == (2, 0, "WITH SELECT")
    assert traffic.measure(unchanged) == (2, 0, "WITH SELECT")
    assert service.get(actor=user_id, task_id=task.id).version == 1


def test_a_write_that_changes_nothing_costs_one_statement(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="same"))

    cost = traffic.measure(
        lambda: service.update(
            actor=user_id, task_id=task.id, changes=TaskChanges(title="same", due_date=None)
        )
    )

    # Its read went on the cursor in autocommit: nothing for SQLAlchemy to commit either.
    assert cost == (1, 0, "SELECT")


def test_a_patch_of_plain_fields_is_one_conditional_update_returning_the_row(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="inspect"))

    written = traffic.measure(
        lambda: service.update(
            actor=user_id,
            task_id=task.id,
            changes=TaskChanges(title="b", description=None, priority=TaskPriority.HIGH),
            expected_version=1,
        )
    )

    assert written == (1, 0, "WITH")
    (patch,) = (" ".join(s.split()) for s in traffic.statements)
    assert patch.startswith("WITH written AS (UPDATE tasks SET")
    assert "version=(tasks.version + %(version_1)s)" in patch
    assert "tasks.version = " in patch
    assert "IS DISTINCT FROM" in patch
    assert "INSERT INTO change_clocks" in patch
    assert "INSERT INTO task_changes" in patch
    assert " SELECT written.id, " in patch
    stored = service.get(actor=user_id, task_id=task.id)
    assert (stored.title, stored.description, stored.priority, stored.version) == (
        "b",
        None,
        TaskPriority.HIGH,
        2,
    )


def test_a_plain_read_and_the_conditional_write_are_the_statements_of_an_update(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="inspect"))

    traffic.measure(
        lambda: service.update(
            actor=user_id, task_id=task.id, changes=TaskChanges(title="b", due_date=DUE)
        )
    )

    select, update = (" ".join(s.split()) for s in traffic.statements)
    assert select.startswith("SELECT")
    assert "FOR UPDATE" not in select
    assert update.startswith("WITH written AS (UPDATE tasks SET")
    assert "INSERT INTO change_clocks" in update
    assert "INSERT INTO task_changes" in update
    assert "WHERE tasks.id = " in update
    assert "tasks.version = " in update


def test_a_read_then_a_write_in_one_unit_of_work_puts_only_the_write_in_a_transaction(
    wired_engine: Engine, traffic: Traffic
) -> None:
    def uow_factory() -> SqlUnitOfWork:  # the engine itself works as the source too
        return SqlUnitOfWork(wired_engine)

    task = make_task(user_id=fresh_user_id())
    with uow_factory() as uow:
        uow.tasks.add(task)
        uow.commit()

    def read_then_write() -> None:
        with uow_factory() as uow:
            assert uow.tasks.get(task.user_id, task.id) is not None
            locked = uow.tasks.get(task.user_id, task.id, for_update=True)
            assert locked is not None
            locked.rename("renamed")
            locked.finish_write(now=task.created_at)
            uow.tasks.save(locked, previous_version=1)
            uow.commit()

    assert traffic.measure(read_then_write) == (
        3,
        1,
        "SELECT BEGIN SELECT WITH COMMIT",
    )


def _warm_up(engine: Engine) -> None:
    """Open the engine's first connection (its set-up queries) before measuring."""
    with SqlUnitOfWork(engine) as uow:
        uow.reader.stats(fresh_user_id(), now=FakeClock()())


class RacingClock(FakeClock):
    """A clock that lets another writer change the task the first time it is read.

    The use case reads the clock between its read and its write, so the
    competing write lands exactly in the race window.
    """

    def __init__(self, compete: Callable[[], None]) -> None:
        super().__init__()
        self._compete: Callable[[], None] | None = compete

    def __call__(self) -> Any:
        compete, self._compete = self._compete, None
        if compete is not None:
            compete()
        return super().__call__()


def _race(
    wired_engine: Engine, postgres_engine: Engine, description: str | None = None
) -> tuple[str, Task, TaskService, TaskService]:
    """A task "contended", a service writing it directly, and one racing it on the wire.

    The racing service's first write finds the direct one's change of the
    description landing in its race window (``RacingClock``).
    """
    user_id = fresh_user_id()
    direct = TaskService(uow_factory=sql_uow_factory(postgres_engine), clock=FakeClock())
    draft = TaskDraft(title="contended", description=description)
    task = direct.create(actor=user_id, draft=draft)

    def compete() -> None:
        direct.update(actor=user_id, task_id=task.id, changes=TaskChanges(description="theirs"))

    racing = TaskService(uow_factory=sql_uow_factory(wired_engine), clock=RacingClock(compete))
    racing.get(actor=user_id, task_id=task.id)  # the wired engine's first connection
    return user_id, task, direct, racing


def test_an_update_that_loses_the_race_retries_once_under_the_row_lock(
    wired_engine: Engine, postgres_engine: Engine, traffic: Traffic
) -> None:
    user_id, task, direct, racing = _race(wired_engine, postgres_engine, description="d")
    cost = traffic.measure(
        lambda: racing.update(
            actor=user_id, task_id=task.id, changes=TaskChanges(title="mine", due_date=DUE)
        )
    )

    assert cost[2] == "SELECT WITH BEGIN SELECT WITH COMMIT"
    stored = direct.get(actor=user_id, task_id=task.id)
    assert (stored.title, stored.description, stored.version) == ("mine", "theirs", 3)


def test_a_conditional_update_that_loses_the_race_changes_nothing(
    wired_engine: Engine, postgres_engine: Engine, traffic: Traffic
) -> None:
    user_id, task, direct, racing = _race(wired_engine, postgres_engine)

    def conditional() -> None:
        with pytest.raises(VersionConflict):
            racing.update(
                actor=user_id,
                task_id=task.id,
                changes=TaskChanges(title="mine", due_date=DUE),
                expected_version=1,
            )

    assert traffic.measure(conditional)[2] == "SELECT WITH"
    stored = direct.get(actor=user_id, task_id=task.id)
    assert (stored.title, stored.description, stored.version) == ("contended", "theirs", 2)


def test_a_patch_racing_another_write_keeps_both_or_refuses_when_conditional(
    wired_engine: Engine, postgres_engine: Engine, traffic: Traffic
) -> None:
    user_id, task, direct, racing = _race(wired_engine, postgres_engine)

    def conditional() -> None:
        with pytest.raises(VersionConflict):
            racing.update(
                actor=user_id,
                task_id=task.id,
                changes=TaskChanges(title="mine"),
                expected_version=1,
            )

    assert traffic.measure(conditional)[2] == "WITH SELECT"
    stored = direct.get(actor=user_id, task_id=task.id)
    assert (stored.title, stored.description, stored.version) == ("contended", "theirs", 2)

    mine = traffic.measure(
        lambda: racing.update(actor=user_id, task_id=task.id, changes=TaskChanges(title="mine"))
    )
    assert mine[2] == "WITH"
    stored = direct.get(actor=user_id, task_id=task.id)
    assert (stored.title, stored.description, stored.version) == ("mine", "theirs", 3)


def test_two_writes_in_one_unit_of_work_are_one_transaction(
    wired_engine: Engine, traffic: Traffic
) -> None:
    first, second = make_task(user_id=fresh_user_id()), make_task(user_id=fresh_user_id())
    _warm_up(wired_engine)

    def two_writes() -> None:
        with SqlUnitOfWork(wired_engine) as uow:
            uow.tasks.add(first)
            uow.tasks.add(second)
            uow.commit()

    assert traffic.measure(two_writes) == (2, 1, "BEGIN WITH WITH COMMIT")


def test_a_lone_write_that_is_never_committed_is_never_sent(
    wired_engine: Engine, traffic: Traffic
) -> None:
    task = make_task(user_id=fresh_user_id())
    _warm_up(wired_engine)

    def abandoned() -> None:
        with SqlUnitOfWork(wired_engine) as uow:
            uow.tasks.add(task)

    assert traffic.measure(abandoned) == (0, 0, "")
    with SqlUnitOfWork(wired_engine) as uow:
        assert uow.tasks.get(task.user_id, task.id) is None


def test_a_read_after_a_lone_write_sees_it_inside_one_transaction(
    wired_engine: Engine, traffic: Traffic
) -> None:
    task = make_task(user_id=fresh_user_id())
    _warm_up(wired_engine)

    def write_then_read() -> None:
        with SqlUnitOfWork(wired_engine) as uow:
            uow.tasks.add(task)
            assert uow.tasks.get(task.user_id, task.id) is not None
            uow.commit()

    assert traffic.measure(write_then_read) == (2, 1, "BEGIN WITH SELECT COMMIT")


def test_a_connection_that_served_reads_goes_back_to_the_pool_transactional(
    wired_engine: Engine,
) -> None:
    uow_factory = sql_uow_factory(wired_engine)
    user_id = fresh_user_id()
    for _ in range(3):  # every pooled connection has served a read in autocommit
        with uow_factory() as uow:
            uow.reader.stats(user_id, now=FakeClock()())
    task = make_task(user_id=user_id)

    with uow_factory() as uow:
        uow.tasks.add(task)  # never committed: must not be kept

    with uow_factory() as uow:
        assert uow.tasks.get(user_id, task.id) is None


@pytest.mark.parametrize("idle_window", [SHORT_IDLE])
def test_a_connection_idle_past_the_window_is_pinged_once_before_use(
    service: TaskService, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="idle"))

    time.sleep(SHORT_IDLE * 2)
    after_idle = traffic.measure(lambda: service.get(actor=user_id, task_id=task.id))
    right_after = traffic.measure(lambda: service.get(actor=user_id, task_id=task.id))

    assert after_idle == (1, 0, "PING SELECT")
    assert right_after == (1, 0, "SELECT")


@pytest.mark.parametrize("idle_window", [0.0])
def test_a_window_of_zero_pings_before_every_use(service: TaskService, traffic: Traffic) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="always"))

    costs = [traffic.measure(lambda: service.get(actor=user_id, task_id=task.id)) for _ in "ab"]

    assert costs == [(1, 0, "PING SELECT")] * 2


@pytest.mark.parametrize("idle_window", [SHORT_IDLE])
def test_a_connection_that_died_while_idle_is_replaced_before_the_use_case_sees_it(
    service: TaskService, proxy: TcpProxy, traffic: Traffic
) -> None:
    user_id = fresh_user_id()
    task = service.create(actor=user_id, draft=TaskDraft(title="outlives its connection"))
    proxy.cut()  # closes the pooled connection's socket
    proxy.restore()

    time.sleep(SHORT_IDLE * 2)
    cost = traffic.measure(lambda: service.get(actor=user_id, task_id=task.id))

    assert cost[0] == 1, cost
    assert service.get(actor=user_id, task_id=task.id).title == "outlives its connection"
