"""Writes that arrive while one commits share the next commit, each still on its own.

Real SQLite files, a real PostgreSQL and real threads. Another connection holds
the write lock (SQLite's file lock, PostgreSQL's lock on the events table) while
writers arrive, so that they queue behind a commit as they do when many people
write at once; then it lets go.
"""

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.utils import Environment

from services.cases.service import CaseService
from services.eventstore.group_commit import GroupCommit, QueuedWrite
from services.eventstore.sqlite_datastore import CaseworkSQLiteFactory
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
Holding = Callable[..., Any]
"""Holds the store's write lock on an events table (`stored_events` unless named), from
another connection, until the context ends."""


@contextmanager
def _holding_sqlite(database: Path) -> Iterator[None]:
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _holding_postgres(settings: Settings, table: str) -> Iterator[None]:
    with psycopg.connect(settings.postgres_url) as holder:
        holder.execute(f'LOCK TABLE "{settings.postgres_schema}"."{table}" IN EXCLUSIVE MODE')
        yield
        holder.rollback()


@pytest.fixture
def holding(settings: Settings) -> Holding:
    if settings.store == "sqlite":
        return lambda table="stored_events": _holding_sqlite(settings.sqlite_path)
    return lambda table="stored_events": _holding_postgres(settings, table)


@pytest.fixture
def grouped(settings: Settings) -> Settings:
    """The test's store with group commit on (`CASEWORK_GROUP_COMMIT=on`)."""
    return settings.model_copy(update={"group_commit": "on"})


@pytest.fixture
def recorder(grouped: Settings) -> Iterator[Any]:
    env = {k: v for k, v in grouped.eventsourcing_env().items()
           if not k.startswith("CASEWORK_") or k == "CASEWORK_GROUP_COMMIT"}
    factory = InfrastructureFactory.construct(Environment(env=env))
    recorder: Any = factory.application_recorder()
    assert recorder.group_commit is not None
    yield recorder
    factory.close()


def _event(stream: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator_id=stream, originator_version=version,
                       topic="tests:Happened", state=f"{stream}/{version}".encode())


def _writes_queued(holding: Holding, writes: list[Callable[[], Any]]) -> list[Any]:
    """Runs each write on a thread of its own while another connection holds the write
    lock; lets go once they have all queued; each write's outcome (its result or the
    error it raised), in the order given, once all are answered."""
    outcomes: list[Any] = [None] * len(writes)

    def run(index: int) -> None:
        try:
            outcomes[index] = writes[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writes))]
    with holding():
        for thread in threads:
            thread.start()
            time.sleep(0.02)  # so that they queue in the order given
        time.sleep(0.3)
    for thread in threads:
        thread.join(30)
    return outcomes


def test_writes_that_arrive_during_a_commit_share_the_next_one(holding, recorder):
    streams = [uuid.uuid4() for _ in range(12)]
    outcomes = _writes_queued(holding, [lambda s=s: recorder.insert_events([_event(s, 1)])
                                        for s in streams])
    assert all(isinstance(ids, list) and len(ids) == 1 for ids in outcomes), outcomes
    assert recorder.group_commit is not None
    assert recorder.group_commit.writes == 12
    assert recorder.group_commit.commits <= 3  # the first alone, the rest together
    for stream in streams:
        assert [e.originator_version for e in recorder.select_events(stream)] == [1]


def test_a_refused_write_takes_none_of_its_group_with_it(holding, recorder):
    clashing = uuid.uuid4()
    recorder.insert_events([_event(clashing, 1)])
    others = [uuid.uuid4() for _ in range(6)]
    writes: list[Callable[[], Any]] = [
        lambda s=s: recorder.insert_events([_event(s, 1)]) for s in others[:3]]
    # version 2 is new but version 1 is taken: the whole write is refused, not half kept
    writes.append(lambda: recorder.insert_events([_event(clashing, 2), _event(clashing, 1)]))
    writes += [lambda s=s: recorder.insert_events([_event(s, 1)]) for s in others[3:]]
    outcomes = _writes_queued(holding, writes)
    assert isinstance(outcomes[3], IntegrityError)
    assert [e.originator_version for e in recorder.select_events(clashing)] == [1]
    for stream, ids in zip(others, outcomes[:3] + outcomes[4:], strict=True):
        assert isinstance(ids, list), ids
        assert [e.originator_version for e in recorder.select_events(stream)] == [1]
    assert recorder.group_commit is not None and recorder.group_commit.commits < 8


def test_the_log_keeps_the_order_writers_were_queued_in(holding, recorder):
    """The first writer found no commit running and commits alone, beside the committer's
    groups; those queued behind it are logged in the order they came."""
    streams = [uuid.uuid4() for _ in range(8)]
    outcomes = _writes_queued(holding, [lambda s=s: recorder.insert_events([_event(s, 1)])
                                        for s in streams])
    queued = [written[0] for written in outcomes[1:]]
    assert queued == sorted(queued)
    logged = recorder.select_notifications(start=1, limit=100)
    assert [n.originator_id for n in logged if n.originator_id != streams[0]] == streams[1:]


def _stored_streams(settings: Settings) -> set[str]:
    """The streams another connection, which was not there, reads back."""
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as other:
            return {r[0] for r in other.execute("SELECT originator_id FROM stored_events")}
    with psycopg.connect(settings.postgres_url) as other:
        return {r[0].hex for r in other.execute(
            f'SELECT originator_id FROM "{settings.postgres_schema}".stored_events')}


def test_a_write_is_answered_only_once_its_commit_is_durable(recorder, settings):
    """Writers are still waiting while their group's rows are written and not yet
    committed; once answered, a connection that was not there reads every one back."""
    if settings.store == "postgres":
        pytest.skip("the group is one autocommitted statement: nothing to pause inside it")
    recorder.insert_events([_event(uuid.uuid4(), 1)])  # the table exists
    recorded, release = threading.Event(), threading.Event()
    insert = recorder._insert_events

    def insert_then_pause(cursor, events, **kwargs):
        ids = insert(cursor, events, **kwargs)
        if len(events) == 1 and events[0].originator_version == 2:  # the group's last write
            recorded.set()
            release.wait(10)
        return ids

    recorder._insert_events = insert_then_pause
    streams = [uuid.uuid4() for _ in range(4)]
    answered: list[uuid.UUID] = []
    with _holding_sqlite(settings.sqlite_path):
        threads = [threading.Thread(target=lambda s=s, v=v: (
            recorder.insert_events([_event(s, v)]), answered.append(s)))
            for s, v in zip(streams, (1, 1, 1, 2), strict=True)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
    try:
        assert recorded.wait(10)
        paused = {streams[2], streams[3]}  # the first two each went alone, ahead of them
        assert not paused & set(answered)
        assert not {s.hex for s in paused} & _stored_streams(settings)
    finally:
        release.set()
    for thread in threads:
        thread.join(10)
    assert sorted(answered) == sorted(streams)
    assert {s.hex for s in streams} <= _stored_streams(settings)


def test_a_value_the_store_cannot_hold_is_refused_alone(holding, recorder, settings):
    """One bad record never denies service to the others in its group."""
    streams = [uuid.uuid4() for _ in range(5)]
    writes: list[Callable[[], Any]] = [
        lambda s=s: recorder.insert_events([_event(s, 2**63 if s == streams[2] else 1)])
        for s in streams]
    outcomes = _writes_queued(holding, writes)
    assert isinstance(outcomes[2], Exception), outcomes
    assert all(isinstance(outcomes[i], list) for i in (0, 1, 3, 4)), outcomes
    assert _stored_streams(settings) == {s.hex for i, s in enumerate(streams) if i != 2}


def test_a_lock_held_past_the_timeout_costs_a_group_one_timeout_not_one_each(tmp_path):
    """Another process holding SQLite's write lock too long: the writers queued behind
    it are refused after one timeout, together, and nothing they wrote is kept."""
    database = tmp_path / "events.sqlite"
    factory = CaseworkSQLiteFactory({"SQLITE_DBNAME": str(database), "SQLITE_LOCK_TIMEOUT": "1",
                                     "CASEWORK_GROUP_COMMIT": "on"})
    recorder: Any = factory.application_recorder()
    try:
        recorder.insert_events([_event(uuid.uuid4(), 1)])
        streams = [uuid.uuid4() for _ in range(7)]
        answered_after: list[float] = []
        started = time.monotonic()

        def write(stream: uuid.UUID) -> None:
            with contextlib.suppress(OperationalError):
                recorder.insert_events([_event(stream, 1)])
            answered_after.append(time.monotonic() - started)

        with _holding_sqlite(database):
            threads = [threading.Thread(target=write, args=(s,)) for s in streams]
            for thread in threads:
                thread.start()
                time.sleep(0.02)
            time.sleep(4.5)
        for thread in threads:
            thread.join(30)
        assert len(answered_after) == 7 and max(answered_after) < 3.5, answered_after
        assert recorder.select_notifications(start=2, limit=10) == []
    finally:
        factory.close()


def test_a_failed_commit_refuses_every_write_in_it_and_keeps_none():
    """The queue's own promise: when the transaction does not commit, nobody in it is told
    their events are stored, and the next group is led as usual."""
    kept: list[QueuedWrite] = []
    first_group = threading.Event()

    def record(group: list[QueuedWrite]) -> None:
        if not first_group.is_set():
            first_group.set()
            time.sleep(0.2)  # the others queue meanwhile
            raise sqlite3.OperationalError("disk I/O error")
        for write in group:
            write.ids = [1]
        kept.extend(group)

    commit = GroupCommit(record)
    outcomes: list[Any] = [None] * 4

    def run(index: int) -> None:
        try:
            outcomes[index] = commit.write([])
        except sqlite3.Error as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    threads[0].start()
    first_group.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes[0], sqlite3.OperationalError)
    assert outcomes[1:] == [[1], [1], [1]] and len(kept) == 3


def test_commands_from_many_people_at_once_are_each_recorded(grouped, holding):
    """Through the case service, as the API writes: sixteen commands on sixteen cases, all
    queued behind a commit, each recorded once in its case's history."""
    cases = CaseService(grouped.eventsourcing_env())
    try:
        ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(16)]
        recorder = cases.recorder.inner
        commit = recorder.group_commit
        before, written = commit.commits, commit.writes
        table = recorder.events_table_name
        outcomes = _writes_queued(lambda: holding(table), [
            lambda c=c: cases.issue_reminder(c, deadline="diagnosis", recipient="owner",
                                             reminder_key="diagnosis-1")
            for c in ids])
        assert outcomes == [True] * 16
        assert commit.writes - written == 16 and commit.commits - before < 16
        for case_id in ids:
            assert [e["type"] for e in cases.history(case_id)].count("ReminderIssued") == 1
    finally:
        cases.close()


def test_group_commit_is_off_unless_turned_on(settings):
    """Off, the default, every save commits on its own as the library records it."""
    cases = CaseService(settings.eventsourcing_env())
    try:
        cases.open_case(**OPEN_CASE, **ACTOR)
        assert cases.recorder.inner.group_commit is None
    finally:
        cases.close()


def test_a_writer_alone_commits_in_its_own_thread(recorder):
    """No hand-over to the committer when no commit is running: it cost a lone writer two
    thread switches, a fifth to a half of a millisecond a command."""
    for version in (1, 2, 3):
        recorder.insert_events([_event(uuid.UUID(int=7), version)])
    assert recorder.group_commit._committer is None  # none was started
    assert recorder.group_commit.commits == 3
