"""`casework encrypt-store`: seal a store written before encryption at rest.

Every stream's stored events and snapshots are sealed under a data key of their
own (services/eventstore/encryption.py). A store from an earlier release holds
them in the clear; this command seals them, one stream per transaction, so it
can be stopped at any point and run again: it picks up the streams still in the
clear. Run it with the service stopped (a stream half sealed by an interrupted
run is read only once the run has finished it). On SQLite the old bytes are
zeroed as they are overwritten (`secure_delete`) and the write-ahead log is
emptied at the end, so no clear text lingers in free pages. Then the documents
kept in the clear are sealed, a copy for each case that records them
(services/ops/document_sealing.py), resumable too.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.cases.service import CaseService
from services.eventstore.encryption import SEALED, EncryptingRecorder, seal
from services.eventstore.store import EventStoreApplication
from services.identity.service import IdentityService
from services.ops.document_sealing import encrypt_existing_documents
from services.platform.settings import Settings
from services.policy.service import PolicyService
from services.registers.service import RegisterService

Progress = Callable[[str], None]


@dataclass
class Sealed:
    streams: int = 0
    events: int = 0


def encrypt_store(settings: Settings, progress: Progress = lambda _m: None) -> Sealed:
    """Seal every stored state still in the clear; what it sealed."""
    if settings.encryption != "on":
        raise ValueError("CASEWORK_ENCRYPTION is off: nothing to seal with")
    done, seen = Sealed(), set()
    for app in _applications(settings):
        try:
            for recorder in _recorders(app):
                place = recorder.place  # its file (or schema) and table, never an object's id
                if place in seen:
                    continue  # applications sharing one table: seal it once
                seen.add(place)
                _seal_table(recorder, done, progress)
                recorder.keys.mark_sealed_table(recorder.place)
                recorder.settle()
        finally:
            app.close()
    progress(f"sealed {done.events} stored events in {done.streams} streams")
    encrypt_existing_documents(settings, progress)  # each case's keys made above
    return done


def _applications(settings: Settings) -> Iterator[EventStoreApplication]:
    env = {**settings.eventsourcing_env(), "CASEWORK_SEALING": "yes"}
    for each in (CaseService, PolicyService, RegisterService):
        yield each(env)
    if settings.store == "sqlite":  # people's accounts live in a file of their own
        env["SQLITE_DBNAME"] = str(settings.data_dir / "access.sqlite")
    yield IdentityService(env)


def _recorders(app: EventStoreApplication) -> list[EncryptingRecorder]:
    found = [app.recorder, getattr(app.snapshots, "recorder", None)]
    return [r for r in found if isinstance(r, EncryptingRecorder)]


def _seal_table(recorder: EncryptingRecorder, done: Sealed, progress: Progress) -> None:
    streams = _streams_in_the_clear(recorder)
    if streams:
        progress(f"{recorder.table}: {len(streams)} streams to seal")
    for n, stream in enumerate(streams, 1):
        done.events += _seal_stream(recorder, stream)
        done.streams += 1
        if n % 100 == 0 or n == len(streams):
            progress(f"{recorder.table}: sealed {n} of {len(streams)} streams")


def _sql(recorder: EncryptingRecorder, text: str) -> str:
    return text.replace("?", "%s") if recorder.postgres else text


def _streams_in_the_clear(recorder: EncryptingRecorder) -> list[Any]:
    cut = "substring(state, 1, 4)" if recorder.postgres else "substr(state, 1, 4)"
    with recorder.inner.datastore.transaction(commit=False) as cursor:
        cursor.execute(_sql(recorder, f"SELECT DISTINCT originator_id FROM {recorder.table} "  # noqa: S608
                                      f"WHERE {cut} <> ?"), (SEALED,))
        return [row["originator_id"] if isinstance(row, dict) else row[0]
                for row in cursor.fetchall()]


def _seal_stream(recorder: EncryptingRecorder, stream: Any) -> int:
    """Seal one stream's rows in one transaction (its key made first)."""
    key = recorder.keys.data_key(stream, create=True)
    assert key is not None
    sealed = 0
    with recorder.inner.datastore.transaction(commit=True) as cursor:
        if not recorder.postgres:
            cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(_sql(recorder, f"SELECT originator_version, topic, state FROM "  # noqa: S608
                                      f"{recorder.table} WHERE originator_id = ?"), (stream,))
        rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r)
                for r in cursor.fetchall()]
        for version, topic, state in rows:
            state = bytes(state)
            if state[:4] == SEALED:
                continue
            stored = StoredEvent(originator_id=stream, originator_version=version,
                                 topic=topic, state=state)
            cursor.execute(_sql(recorder, f"UPDATE {recorder.table} SET state = ? "  # noqa: S608
                                          "WHERE originator_id = ? AND originator_version = ?"),
                           (seal(key, stored), stream, version))
            sealed += 1
    return sealed
