"""What encryption at rest costs: the same work on two stores of one kind, one sealing
every event, snapshot and document under its case's data key, the other built with
`CASEWORK_ENCRYPTION=off` (which only the benchmark uses), side by side in one run.

Each figure is the encrypted store's, its baseline the same work on the store without
encryption, measured in turns (`interleaved_rates`, `best_time`), so both meet the same
moments of a shared machine.
"""

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

from eventsourcing.application import project_aggregate

from bench.bench_store import ACTOR, CONCERN, _case_with_events, service
from bench.common import Result, best_time, interleaved_rates, progress
from bench.stores import throwaway
from services.caselist.migrations import migrate
from services.cases.service import CaseService
from services.documents.blobs import BlobStore, build_blob_store, matches

WITHOUT = "the same without encryption"
DOCUMENT_MB = 5
LOAD_EVENTS = 1_000


def encryption(store: str, *, count: int) -> list[Result]:
    """Append, load and documents, each encrypted beside not, on one kind of store."""
    progress(f"encryption on {store}: append, load and documents, with and without")
    with ExitStack() as stack:
        stores = {mode: stack.enter_context(throwaway(store, encryption=mode))
                  for mode in ("on", "off")}
        cases = {mode: service(settings) for mode, settings in stores.items()}
        for each in cases.values():
            stack.callback(each.close)
        results = _append(store, cases, count)
        uncached = {mode: service(settings, cache=False) for mode, settings in stores.items()}
        for each in uncached.values():
            stack.callback(each.close)
        results += _load(store, uncached)
        for settings in stores.values():
            migrate(settings)  # PostgreSQL's document tables
        blobs = {mode: build_blob_store(settings) for mode, settings in stores.items()}
        for blob_store in blobs.values():
            stack.callback(blob_store.close)
        results += _documents(store, blobs, cases)
    return results


def _append(store: str, cases: dict[str, CaseService], count: int) -> list[Result]:
    commands: dict[str, Callable[[], Any]] = {}
    for mode, each in cases.items():
        case_id = each.open_case(**CONCERN, **ACTOR)
        commands[f"open {mode}"] = lambda each=each: each.open_case(**CONCERN, **ACTOR)
        commands[f"command {mode}"] = _pause_or_resume(each, case_id)
    rates = interleaved_rates(commands, count=count)
    return [
        Result("encryption", f"{store}: open a case, encrypted", rates["open on"],
               rates["open off"], "commands/s", f">= 80% of {WITHOUT}"),
        Result("encryption", f"{store}: command on an existing case, encrypted",
               rates["command on"], rates["command off"], "commands/s",
               f">= 80% of {WITHOUT}",
               notes="pauses or resumes the diagnosis deadline, as the append benchmark does"),
    ]


def _pause_or_resume(cases: CaseService, case_id: Any) -> Callable[[], None]:
    turns = itertools.count()

    def command() -> None:
        change = cases.resume_deadline if next(turns) % 2 else cases.pause_deadline
        change(case_id, deadline="diagnosis", reason="waiting on the council", **ACTOR)
    return command


def _load(store: str, cases: dict[str, CaseService]) -> list[Result]:
    """A case of 1,000 events, 25 past a snapshot, read back (the cache bypassed); and
    all its events read and applied, which is where opening each one shows."""
    ids = {mode: _case_with_events(each, LOAD_EVENTS + 25) for mode, each in cases.items()}
    snapshot_ms: dict[str, float] = {}
    replay_ms: dict[str, float] = {}
    for _ in range(2):  # in turns
        for mode, each in cases.items():
            case_id = ids[mode]
            snapshot_ms[mode] = min(snapshot_ms.get(mode, 1e9), 1000 * best_time(
                lambda each=each, case_id=case_id: each.repository.get(case_id),
                repeat=5, number=3))
            replay_ms[mode] = min(replay_ms.get(mode, 1e9), 1000 * best_time(
                lambda each=each, case_id=case_id: project_aggregate(
                    None, each.events.get(case_id)), repeat=3, number=1))
    return [
        Result("encryption", f"{store}: load a case of {LOAD_EVENTS:,} events with "
               "snapshots, encrypted", snapshot_ms["on"], snapshot_ms["off"], "ms",
               f"within 1.25x of {WITHOUT}",
               notes="a snapshot every 50 events, the case 25 past one; cache bypassed"),
        Result("encryption", f"{store}: replay all {LOAD_EVENTS:,} events of a case, "
               "encrypted", replay_ms["on"], replay_ms["off"], "ms",
               f"within 1.5x of {WITHOUT}",
               notes="every event read, opened and applied: what a rebuild or a "
                     "verification pays per event"),
    ]


def _documents(store: str, blobs: dict[str, BlobStore],
               cases: dict[str, CaseService]) -> list[Result]:
    """A 5 MB document kept (hashed, sealed, written, flushed), and read back and checked
    against its hash, as a download checks it before its first byte is sent."""
    data = os.urandom(DOCUMENT_MB * 1_000_000)
    owners = {mode: cases[mode].open_case(**CONCERN, **ACTOR) for mode in blobs}

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 256 * 1024):  # as an upload's file is read
            yield data[start:start + 256 * 1024]

    def put(mode: str) -> None:
        blobs[mode].put(owners[mode], chunks())

    def read(mode: str) -> None:
        assert matches(blobs[mode], owners[mode], sha256[mode])

    sha256 = {mode: blobs[mode].put(owners[mode], chunks()).sha256 for mode in blobs}
    keep = interleaved_rates({mode: lambda mode=mode: put(mode) for mode in blobs},
                             count=10, rounds=5)
    give = interleaved_rates({mode: lambda mode=mode: read(mode) for mode in blobs},
                             count=10, rounds=5)
    kind = "files" if store == "sqlite" else "PostgreSQL rows"
    return [
        Result("encryption", f"{store}: keep a {DOCUMENT_MB} MB document ({kind}), sealed",
               keep["on"] * DOCUMENT_MB, keep["off"] * DOCUMENT_MB, "MB/s",
               f">= 70% of {WITHOUT}",
               notes="hashed and written chunk by chunk, flushed to disk, as an upload is"),
        Result("encryption", f"{store}: read a {DOCUMENT_MB} MB document back, unsealed, "
               "and check its hash", give["on"] * DOCUMENT_MB, give["off"] * DOCUMENT_MB,
               "MB/s", f">= 70% of {WITHOUT}",
               notes="what a download does before its first byte is sent"),
    ]
