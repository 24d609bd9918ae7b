"""A thread interrupted as its SQLite transaction begins leaves no transaction open.

A Temporal worker that stops cancels its running activities, and cancels a
thread's by raising `CancelledError` in that thread (`PyThreadState_SetAsyncExc`).
The exception is raised the moment the thread comes back from C: from a BEGIN
IMMEDIATE that waited for the write lock, say. The thread and its connection
live on, and the next activity on that thread (or, for the key store's one
connection, on any) must find the connection out of the transaction, not fail
with "cannot start a transaction within a transaction". Real files, real
threads, another connection holding the write lock; nothing stands in.
"""

import ctypes
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from temporalio.exceptions import CancelledError

from services.eventstore.keys import KeyStore
from services.platform.settings import Settings
from services.reminders.duty_reminders import DutyReminders


def _waiting_in(thread: threading.Thread, function: str) -> bool:
    """Whether the thread's innermost Python frame is `function` (waiting in a C call)."""
    frame = sys._current_frames().get(thread.ident or 0)  # noqa: SLF001 - no public way
    return frame is not None and frame.f_code.co_name == function


def _interrupted_then_again(database: Path, waits_in: str,
                            work: Callable[[], None]) -> list[str]:
    """Runs `work` on a thread while another connection holds the write lock, cancels
    the thread as Temporal does while it waits, lets the lock go, and runs `work` once
    more on the same thread: what each attempt came to."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    outcomes: list[str] = []

    def attempts() -> None:
        for _ in range(2):
            try:
                work()
                outcomes.append("done")
            except CancelledError:
                outcomes.append("cancelled")
            except sqlite3.Error as error:
                outcomes.append(str(error))

    thread = threading.Thread(target=attempts)
    thread.start()
    deadline = time.monotonic() + 10
    while not _waiting_in(thread, waits_in) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # well inside the busy wait of its BEGIN IMMEDIATE
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident or 0),
                                               ctypes.py_object(CancelledError))
    holder.execute("COMMIT")
    holder.close()
    thread.join(30)
    return outcomes


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "var", store="sqlite")
    settings.data_dir.mkdir(parents=True)
    return settings


@pytest.fixture
def side_tables(settings: Settings) -> Iterator[DutyReminders]:
    tables = DutyReminders(settings)
    yield tables
    tables.close()


@pytest.fixture
def key_store(tmp_path: Path) -> Iterator[KeyStore]:
    store = KeyStore(f"sqlite:{tmp_path / 'keys.sqlite'}", tmp_path / "master.key")
    yield store
    store.close()


def test_a_side_table_transaction_cancelled_as_it_begins_is_rolled_back(settings, side_tables):
    def record() -> None:
        with side_tables._transaction(lock=True) as cursor:  # noqa: SLF001 - the one BEGIN
            cursor.execute("INSERT INTO duty_reminders VALUES ('duty', '2025', 'now') "
                           "ON CONFLICT DO NOTHING")

    outcomes = _interrupted_then_again(settings.sqlite_path, "_transaction", record)
    assert outcomes == ["cancelled", "done"]
    assert side_tables.reminded("duty", "2025")


def test_a_key_store_transaction_cancelled_as_it_begins_is_rolled_back(tmp_path, key_store):
    outcomes = _interrupted_then_again(tmp_path / "keys.sqlite", "_cursor",
                                       lambda: key_store.record_redaction({"stream_id": "s"}))
    assert outcomes == ["cancelled", "done"]
    assert key_store.redactions() == [{"stream_id": "s"}]


STORE_ACTIVITIES = {"read_case_deadlines", "issue_reminder", "read_case_plan", "take_step",
                    "record_step_failure", "record_delivery", "authority_notice"}
"""Activities that only read or write the store, in milliseconds."""


def test_store_activities_finish_when_the_worker_stops_and_slow_ones_stay_cancellable():
    """Temporal's cancel raises inside an activity's thread wherever it is, even between
    the event store's writer lock being taken and the `try` that gives it back, which no
    Python code can guard: an activity that only works in the store is left to finish.
    One that waits on the network or reads every case stays cancellable, so that a stop
    is never held up by it (workflows/activities.py)."""
    import inspect

    from temporalio import activity

    from workflows import activities

    found = {}
    for _, holder in inspect.getmembers(activities, inspect.isclass):
        if holder.__module__ != activities.__name__:
            continue
        for _, member in inspect.getmembers(holder, inspect.isfunction):
            definition = activity._Definition.from_callable(member)  # noqa: SLF001
            if definition is not None:
                found[definition.name] = definition.no_thread_cancel_exception
    assert {name for name, uninterrupted in found.items() if uninterrupted} == STORE_ACTIVITIES
    assert {"post_webhook", "send_email", "send_morning_digests",
            "propose_disposals"} <= set(found) - STORE_ACTIVITIES
