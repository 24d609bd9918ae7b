"""Every case's events are encrypted at rest under a data key of that case.

Read as an attacker with the database file: the text people wrote is not in its
bytes; a row written around casework without the key is named, not read; and the
service refuses to start without the master key rather than write in the clear.
"""

import base64
import os
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from services.cases.service import CaseService
from services.eventstore.keys import (
    FileMasterKey,
    KeyDestroyed,
    KeyStore,
    KeyStoreError,
    MasterKeyMissing,
    open_key_store,
    release_key_store,
)
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE
from tests.integration.test_backup import _cli
from tests.integration.test_history_integrity import key, run_sql
from tests.integration.test_poison_streams import ACTOR

SECRET = "Section 114 notice expected from the finance director"


def raw_bytes(settings: Settings) -> bytes:
    """Everything the store holds on disk (SQLite: the file and its WAL), or every stored
    state and snapshot (PostgreSQL)."""
    if settings.store == "sqlite":
        return b"".join(p.read_bytes() for p in settings.data_dir.glob("casework.sqlite*"))
    with psycopg.connect(settings.postgres_url) as conn:
        schema = settings.postgres_schema
        rows = conn.execute(f'SELECT state FROM "{schema}".casework_events UNION ALL '
                            f'SELECT state FROM "{schema}".casework_snapshots').fetchall()
    return b"".join(bytes(r[0]) for r in rows)


def test_the_text_people_write_is_not_in_the_stored_bytes(cases: CaseService, settings):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.add_intelligence(case_id, content=SECRET, source="press",
                           confidentiality="normal", **ACTOR)
    assert SECRET in cases.get_case(case_id)["intelligence"][0]["content"]
    assert SECRET.encode() not in raw_bytes(settings)
    assert OPEN_CASE["summary"].encode() not in raw_bytes(settings)
    assert cases.verify(case_id).ok


def test_a_row_written_in_the_clear_around_casework_is_named_not_read(cases, settings):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.add_intelligence(case_id, content=SECRET, source="press",
                           confidentiality="normal", **ACTOR)
    plain = cases.stored_events(case_id)[1].state  # as the application reads it
    run_sql(settings, "UPDATE {table} SET state=%s WHERE originator_id=%s AND "
                      "originator_version=2", (plain, key(case_id, settings)))
    result = cases.verify(case_id)
    assert not result.ok and result.first_broken_version == 2
    assert "unencrypted" in result.problem


def test_a_store_without_its_master_key_refuses_to_start(settings: Settings):
    CaseService(settings.eventsourcing_env()).close()
    settings.master_key_path.rename(settings.master_key_path.with_suffix(".moved"))
    with pytest.raises(MasterKeyMissing, match="master key file .* is missing"):
        CaseService(settings.eventsourcing_env())


def test_a_store_opened_with_another_master_key_refuses_to_start(settings: Settings,
                                                                 tmp_path: Path):
    CaseService(settings.eventsourcing_env()).close()
    other = settings.model_copy(update={"master_key_file": tmp_path / "other.key"})
    FileMasterKey.load(other.master_key_path, make=True)  # a key, but not this store's
    with pytest.raises(KeyStoreError, match="not the key they were wrapped with"):
        CaseService(other.eventsourcing_env())


def test_a_lost_key_store_beside_encrypted_events_refuses_to_start(settings: Settings):
    if settings.store == "postgres":
        pytest.skip("the key tables live in the same schema: dropping them is a test of "
                    "the SQLite layout")
    cases = CaseService(settings.eventsourcing_env())
    cases.open_case(**OPEN_CASE, **ACTOR)
    cases.close()
    keys = settings.keys_dir / "keys.sqlite"
    for each in settings.keys_dir.glob("keys.sqlite*"):
        each.unlink()
    settings.master_key_path.unlink()
    with pytest.raises(KeyStoreError, match="holds no data keys"):
        CaseService(settings.eventsourcing_env())
    assert not keys.exists() or sqlite3.connect(keys).execute(
        "SELECT count(*) FROM casework_data_keys").fetchone() == (0,)


def test_the_key_files_are_the_service_users_only(cases: CaseService, settings):
    cases.open_case(**OPEN_CASE, **ACTOR)
    assert settings.master_key_path.stat().st_mode & 0o777 == 0o600
    if settings.store == "sqlite":
        assert (settings.keys_dir / "keys.sqlite").stat().st_mode & 0o777 == 0o600
        assert settings.keys_dir.stat().st_mode & 0o777 == 0o700


def _encrypt_store(settings: Settings) -> subprocess.CompletedProcess:
    env = dict(os.environ, CASEWORK_STORE=settings.store,
               CASEWORK_DATA_DIR=str(settings.data_dir),
               CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema)
    return subprocess.run([sys.executable, "-m", "deploy.cli", "encrypt-store"], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_store_from_before_encryption_is_sealed_by_one_resumable_command(settings):
    clear = settings.model_copy(update={"encryption": "off"})
    before = CaseService(clear.eventsourcing_env())
    ids = [before.open_case(**OPEN_CASE, **ACTOR) for _ in range(3)]
    before.add_intelligence(ids[0], content=SECRET, source="press",
                            confidentiality="normal", **ACTOR)
    heads = {i: before.verify(i).head_hash for i in ids}
    before.close()
    assert SECRET.encode() in raw_bytes(settings)

    with pytest.raises(KeyStoreError, match="casework encrypt-store"):
        CaseService(settings.eventsourcing_env())  # never a sealed event beside clear ones

    sealed = _encrypt_store(settings)
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    counts = re.search(r"sealed (\d+) stored events in (\d+) streams", sealed.stdout)
    assert counts and int(counts[1]) >= 4 and int(counts[2]) >= 3, sealed.stdout  # and registers
    assert "streams to seal" in sealed.stdout  # progress as it goes
    assert SECRET.encode() not in raw_bytes(settings)
    after = CaseService(settings.eventsourcing_env())
    try:
        assert {i: after.verify(i).head_hash for i in ids} == heads
        assert after.get_case(ids[0])["intelligence"][0]["content"] == SECRET
        after.add_intelligence(ids[1], content="more", source="press",
                               confidentiality="normal", **ACTOR)
        assert after.verify(ids[1]).ok
    finally:
        after.close()
    again = _encrypt_store(settings)  # run again: nothing left in the clear
    assert again.returncode == 0 and "sealed 0 stored events" in again.stdout


def test_a_sealed_row_copied_to_another_case_or_version_does_not_open(cases, settings):
    """Each sealed row is bound to its case, version and type: copied elsewhere it is named
    as not opening, never read as that other event."""
    first = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.add_intelligence(first, content=SECRET, source="press", confidentiality="normal",
                           **ACTOR)
    cases.add_intelligence(first, content="Another call", source="press",
                           confidentiality="normal", **ACTOR)
    second = cases.open_case(**OPEN_CASE, **ACTOR)
    sealed = {s.originator_version: s.state for s in cases.recorder.inner.select_events(first)}

    run_sql(settings, "UPDATE {table} SET state=%s WHERE originator_id=%s AND "
                      "originator_version=1", (sealed[1], key(second, settings)))
    result = cases.verify(second)
    assert not result.ok and result.first_broken_version == 1
    assert "encrypted and does not open" in result.problem
    run_sql(settings, "UPDATE {table} SET state=%s WHERE originator_id=%s AND "
                      "originator_version=3", (sealed[2], key(first, settings)))
    result = cases.verify(first)
    assert not result.ok and result.first_broken_version == 3
    assert "encrypted and does not open" in result.problem


def test_a_backup_holds_neither_the_key_store_nor_the_master_key(cases, settings, tmp_path):
    """What lets a disposal reach every copy: no backup holds a data key, so destroying
    one makes every backup's copy of the case unreadable."""
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    keys = open_key_store(settings.key_store_location, settings.master_key_path)
    try:
        with keys._cursor() as run:  # noqa: SLF001 - the stored bytes themselves
            wrapped = bytes(run("SELECT wrapped FROM casework_data_keys WHERE stream_id = ?",
                                (str(case_id),)).fetchone()[0])
    finally:
        release_key_store(keys)
    master = settings.master_key_path.read_bytes().strip()
    made = _cli(settings, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    files = [p for p in (tmp_path / "backup").rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.name.startswith(("keys.", "master"))]
    held = b"".join(p.read_bytes() for p in files)
    assert wrapped not in held and master not in held
    assert base64.b64decode(master) not in held
    assert b"casework_data_keys" not in held and b"casework_key_check" not in held


def test_a_stream_gets_one_data_key_however_many_processes_make_it_at_once(settings):
    """A keyed outcome's stream has no key made ahead: two processes saving it at once
    (the same Idempotency-Key sent to two API replicas) must seal it under one key, and a
    destroyed key is never made again."""
    stores = [KeyStore(settings.key_store_location, settings.master_key_path) for _ in range(2)]
    try:
        streams = [uuid.uuid4() for _ in range(20)]
        made: list[list[bytes | None]] = [[], []]
        threads = [threading.Thread(target=lambda i=i: made[i].extend(
            stores[i].data_key(s, create=True) for s in streams)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert made[0] == made[1] and len(set(made[0])) == 20 and None not in made[0]
        stores[0].destroy(streams[0])
        fresh = KeyStore(settings.key_store_location, settings.master_key_path)
        try:
            with pytest.raises(KeyDestroyed):
                fresh.data_key(streams[0], create=True)
        finally:
            fresh.close()
    finally:
        for store in stores:
            store.close()
