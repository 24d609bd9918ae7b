"""Append, load and verification, each beside its floor, on SQLite and PostgreSQL."""

import hashlib
import itertools
import json
import threading
import time
from datetime import UTC, datetime

from eventsourcing.application import project_aggregate

from bench.common import Result, best_time, interleaved_rates, progress
from bench.stores import RawFloor, throwaway
from domain.calendar import PolicyDuration
from domain.case import Case
from services.cases.service import CaseService
from services.eventstore.chain import split

ACTOR = dict(actor_id="bench", actor_role="coordinator")
CONCERN = dict(authority="Northshire County Council", region="North West",
               summary="Children's services judged inadequate", source="inspectorate report",
               issue_type="service-specific issue")


def service(settings, *, cache: bool = True, group_commit: bool | None = None) -> CaseService:
    """The case service on a bench store; group commit as the settings have it unless told."""
    env = settings.eventsourcing_env() | ({} if cache else {"AGGREGATE_CACHE_MAXSIZE": "0"})
    if group_commit is not None:
        env["CASEWORK_GROUP_COMMIT"] = "on" if group_commit else "off"
    return CaseService(env, diagnosis_deadline=PolicyDuration.parse("10"))


WRITERS = 16


def _writers_at_once(store: str, count: int, *, group_commit: bool) -> tuple[float, float]:
    """Commands a second from `WRITERS` threads at once, each on a case of its own, through
    the application layer; and the writes per commit."""
    with throwaway(store) as settings:
        cases = service(settings, group_commit=group_commit)
        ids = [cases.open_case(**CONCERN, **ACTOR) for _ in range(WRITERS)]
        before = getattr(cases.recorder.inner, "group_commit", None)
        commits_before = before.commits if before else 0

        def commands(case_id) -> None:
            for turn in range(count // WRITERS):
                change = cases.resume_deadline if turn % 2 else cases.pause_deadline
                change(case_id, deadline="diagnosis", reason="waiting on the council", **ACTOR)

        threads = [threading.Thread(target=commands, args=(c,)) for c in ids]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        per_commit = ((count // WRITERS * WRITERS) / (before.commits - commits_before)
                      if before else 1.0)
        cases.close()
    return count / seconds, per_commit


def writers_at_once(store: str, *, count: int) -> list[Result]:
    """Group commit beside one commit per write, with sixteen writers in one process, in the
    order off, on, on, off."""
    progress(f"group commit on {store}: {WRITERS} writers at once in one process")
    runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for grouped in (False, True, True, False):
        runs[grouped].append(_writers_at_once(store, count, group_commit=grouped))
    on, off = (sum(rate for rate, _ in runs[g]) / 2 for g in (True, False))
    return [Result(
        "group commit", f"{store}: a command on a case of its own from each of {WRITERS} "
        "threads at once (application layer), group commit against one commit per write",
        on, off, "commands/s", ">= 100% of one commit per write",
        notes=f"{runs[True][0][1]:.1f} / {runs[True][1][1]:.1f} writes per commit",
        extra={"group_commit_per_s": [r for r, _ in runs[True]],
               "one_commit_per_write_per_s": [r for r, _ in runs[False]]})]


def append(store: str, *, count: int) -> list[Result]:
    progress(f"append on {store}: raw floor, then the application layer ({count} each)")
    with throwaway(store) as settings:
        floor = RawFloor(settings)
        cases = service(settings)
        case_id = cases.open_case(**CONCERN, **ACTOR)
        turns = itertools.count()

        def pause_or_resume() -> None:
            """What a coordinator does while waiting on the council; the case keeps its size."""
            change = cases.resume_deadline if next(turns) % 2 else cases.pause_deadline
            change(case_id, deadline="diagnosis", reason="waiting on the council", **ACTOR)

        rates = interleaved_rates({
            "floor": floor.insert,
            "open": lambda: cases.open_case(**CONCERN, **ACTOR),
            "command": pause_or_resume,
        }, count=count)
        floor.close()
        cases.close()
    floor_rate, open_rate, command_rate = rates["floor"], rates["open"], rates["command"]
    return [
        Result("append", f"{store}: open a case (application layer)", open_rate, floor_rate,
               "commands/s", ">= 50% of the raw insert floor"),
        Result("append", f"{store}: command on an existing case (application layer)",
               command_rate, floor_rate, "commands/s", ">= 50% of the raw insert floor",
               notes="pauses or resumes the diagnosis deadline: takes the cached case, checks "
                     "the rule, chains and saves (a snapshot every 50 events)"),
    ]


def _case_with_events(cases: CaseService, n_events: int):
    """A long case whose state stays the same size: the diagnosis deadline paused
    while waiting on the council, then resumed, over and over. Loading cost is
    then about the number of events alone, which is what snapshots must bound."""
    now = datetime.now(UTC)
    case = Case.raise_concern(**CONCERN, raised_at=now,
                              diagnosis_due=PolicyDuration.parse("10").due_after(now), **ACTOR)
    for n in range(n_events - 1):
        change = case.resume_deadline if n % 2 else case.pause_deadline
        change(deadline="diagnosis", reason="waiting on the council", recorded_at=now, **ACTOR)
        if n % 500 == 0:
            cases.save(case)  # in batches, as a long-running case would have been saved
    cases.save(case)
    return case.id


def load(store: str) -> list[Result]:
    progress(f"load on {store}: cases of 10, 1,000 and 10,000 events, with and without snapshots")
    results = []
    with throwaway(store) as settings:
        cases = service(settings, cache=False)
        times = {}
        for n in (10, 1_000, 10_000):
            case_id = _case_with_events(cases, n + 25)  # mid-way between two snapshots
            times[(n, True)] = best_time(lambda: cases.repository.get(case_id), repeat=5,
                                         number=3)
            times[(n, False)] = best_time(
                lambda: project_aggregate(None, cases.events.get(case_id)), repeat=3, number=1)
        for n in (1_000, 10_000):
            results.append(Result(
                "load", f"{store}: {n:,} events with snapshots, against 10 events",
                times[(n, True)] * 1000, times[(10, True)] * 1000, "ms",
                "10,000 events within 2x of 10 events (ratio <= 2)",
                notes="a snapshot every 50 events; each case sits 25 events past one; "
                      "the aggregate cache is bypassed",
                extra={"without_snapshots_ms": times[(n, False)] * 1000,
                       "without_snapshots_10_events_ms": times[(10, False)] * 1000}))
        verification = verify(store, cases, _case_with_events(cases, 10_000))
        cases.close()
    return results + [verification]


def verify(store: str, cases: CaseService, case_id) -> Result:
    progress(f"verification on {store}: 10,000 events, against hashing the same bytes")
    stored = cases.stored_events(case_id)
    n = len(stored)
    verify_rate = n / best_time(lambda: cases.verify(case_id), repeat=3, number=1)

    def hash_loop() -> None:
        previous = "0" * 64
        for event in stored:
            plain = split(event.state).plain
            json.loads(plain)  # an hc2 link covers the recorded fields, so they are read
            digest = hashlib.sha256(plain).hexdigest()
            previous = hashlib.sha256(f"{previous}|{digest}".encode()).hexdigest()

    # The floor reads and decodes the same rows too: verification cannot avoid that.
    floor_rate = n / best_time(lambda: (cases.stored_events(case_id), hash_loop()),
                               repeat=3, number=1)
    return Result("verification", f"{store}: hash-chain verification", verify_rate, floor_rate,
                  "events/s", ">= 30% of reading, decoding and hashing the same bytes in a loop")
