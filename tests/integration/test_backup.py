"""Backup while cases are being written, restore into an empty store, carry on.

The backup runs through the real command line beside a thread that keeps
writing. The restored store must be a consistent prefix of the original: every
case verifies, and its last link is the original's link at that version. Then
the reconciler, on a fresh task queue, gives every open case its workflow and
pending timer again.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from deploy.run import unverifiable_key_ids
from domain.calendar import PolicyDuration
from services.audit.checkpoints import CheckpointLedger, verify_against_checkpoint
from services.audit.signing import SigningKey
from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from services.eventstore.chain import links_from_stored, verify_links
from services.identity.service import build_identity_service
from services.ops.backup import BackupError, copy_to_postgres
from services.platform.settings import Settings
from services.policy.service import PolicyService
from tests.conftest import free_port
from tests.helpers import OPEN_CASE, eventually
from workflows.reconciler import Reconciler
from workflows.worker import build_worker

ACTOR = dict(actor_id="cora", actor_role="coordinator")
LATER = PolicyDuration.parse("P30D")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CASEWORK_STORE=settings.store, CASEWORK_DATA_DIR=str(settings.data_dir),
               CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema,
               CASEWORK_KEY_STORE=settings.key_store_location,
               CASEWORK_MASTER_KEY_FILE=str(settings.master_key_path))
    return subprocess.run([sys.executable, "-m", "deploy.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def _heads(cases: CaseService, ids) -> dict:
    return {case_id: cases.verify(case_id) for case_id in ids}


def _links(cases: CaseService, case_id) -> dict[int, str]:
    """Each version's link, as verification walks it (the head at every prefix)."""
    stored = cases.stored_events(case_id)
    return {n: verify_links(links_from_stored(stored[:n], cases.decode_state)).head_hash
            for n in range(1, len(stored) + 1)}


def _keys(settings: Settings) -> dict:
    """This host's key store: a backup holds no keys, so a restore opens it with these."""
    return {"key_store": settings.key_store_location,
            "master_key_file": settings.master_key_path}


@pytest.fixture
def restored_settings(settings: Settings, tmp_path: Path, postgres_url_or_none):
    """An empty store of the same kind: a fresh data directory, or a fresh database."""
    if settings.store == "sqlite":
        yield settings.model_copy(update={"data_dir": tmp_path / "restored", **_keys(settings)})
        return
    database = f"casework_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url_or_none, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = postgres_url_or_none.rsplit("/", 1)[0] + f"/{database}"
    yield settings.model_copy(update={"postgres_url": url, "data_dir": tmp_path / "restored",
                                      **_keys(settings)})
    with psycopg.connect(postgres_url_or_none, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')


@pytest.fixture
def postgres_url_or_none(settings: Settings) -> str | None:
    return settings.postgres_url if settings.store == "postgres" else None


async def test_a_backup_under_load_restores_every_case_and_its_timers(
        settings, cases, restored_settings, temporal, tmp_path):
    first = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(5)]
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        writer = CaseService(settings.eventsourcing_env(), diagnosis_deadline=LATER)
        try:
            while not stop.is_set():
                case_id = writer.open_case(**OPEN_CASE, **ACTOR)
                writer.pause_deadline(case_id, deadline="diagnosis", reason="awaiting data",
                                      **ACTOR)
                writer.resume_deadline(case_id, deadline="diagnosis", reason="data in", **ACTOR)
                written.append(case_id)
                stop.wait(0.05)
        finally:
            writer.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        await eventually(lambda: len(written) >= 3)
        made = _cli(settings, "backup", str(tmp_path / "backup"))
    finally:
        stop.set()
        thread.join()
    assert made.returncode == 0, made.stderr

    restoring = _cli(restored_settings, "restore", str(tmp_path / "backup"))
    assert restoring.returncode == 0, restoring.stderr
    restored = CaseService(restored_settings.eventsourcing_env(),
                           diagnosis_deadline=PolicyDuration.parse("PT2S"))
    try:
        ids = list(restored.ids_with_topic("Case.ConcernRaised"))
        assert set(first) <= set(ids) and set(ids) <= set(first) | set(written)
        for case_id in ids:
            check = restored.verify(case_id)
            assert check.ok, (case_id, check)
            assert check.head_hash == _links(cases, case_id)[check.events_checked]
        await _every_open_case_gets_its_timer(restored, ids, temporal)
    finally:
        restored.close()


async def _every_open_case_gets_its_timer(cases: CaseService, ids, temporal) -> None:
    queue = f"restored-{uuid.uuid4().hex[:8]}"
    gateway = WorkflowGateway(temporal.client, queue)
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(temporal.client, cases, queue, executor, index_cases=True):
            assert await Reconciler(cases, gateway).catch_up() == len(ids)
            for case_id in ids:
                status = await eventually(lambda c=case_id: gateway.case_status(str(c)))
                pending = bool(cases.get_case(case_id)["deadlines"])  # none while paused
                assert (status["next_step"] is not None) == pending, status


@pytest.mark.postgres
def test_copy_to_postgres_keeps_every_stream_and_its_chain(tmp_path, postgres_url,
                                                         postgres_schema):
    source = Settings(data_dir=tmp_path / "var", store="sqlite")
    cases = CaseService(source.eventsourcing_env(), diagnosis_deadline=LATER)
    ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(3)]
    cases.pause_deadline(ids[0], deadline="diagnosis", reason="awaiting data", **ACTOR)
    before = _heads(cases, ids)
    policies = PolicyService.beside(cases)
    policies.set_policy("North West", actor_id="ada", notify_email="nw@example.org")
    policies.close()
    cases.close()
    identity = build_identity_service(source)
    identity.register_user(username="cora", role="coordinator", region="North West")
    identity.close()

    done = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "copy-to-postgres", postgres_url,
         "--schema", postgres_schema],
        env=dict(os.environ, CASEWORK_DATA_DIR=str(source.data_dir), CASEWORK_STORE="sqlite"),
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "copied 4 casework events" in done.stdout and "copied 1 identity events" in done.stdout
    assert "copied 1 policies events" in done.stdout

    target = Settings(data_dir=tmp_path / "pg", store="postgres", postgres_url=postgres_url,
                      postgres_schema=postgres_schema,
                      master_key_file=source.master_key_path)  # the copy's own data keys
    copied = CaseService(target.eventsourcing_env())
    try:
        assert _heads(copied, ids) == before
        assert copied.get_case(ids[0])["version"] == 2
        policy = PolicyService.beside(copied).policy_for("North West")
        assert policy.notify_email == "nw@example.org"
    finally:
        copied.close()
    with pytest.raises(BackupError, match="already holds"):
        copy_to_postgres(source, target)


# -- backups an operator can trust ------------------------------------------------------


def _restore_env(key: Path, *more: str) -> dict[str, str]:
    return {"CASEWORK_CHECKPOINT_KEY_FILE": str(key), "CASEWORK_CHECKPOINT_PUBLIC_KEYS": "",
            "CASEWORK_CHECKPOINT_NEW_KEY": "no", **dict(m.split("=", 1) for m in more)}


def _run(settings: Settings, *args: str, env: dict[str, str] | None = None,
         umask: int = 0o022) -> subprocess.CompletedProcess:
    """The backup command line as an operator runs it, under a common umask."""
    full = dict(os.environ, CASEWORK_STORE=settings.store, CASEWORK_DATA_DIR=str(settings.data_dir),
                CASEWORK_POSTGRES_URL=settings.postgres_url,
                CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema,
                CASEWORK_KEY_STORE=settings.key_store_location,
                CASEWORK_MASTER_KEY_FILE=str(settings.master_key_path), **(env or {}))
    return subprocess.run([sys.executable, "-m", "deploy.cli", *args], env=full,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask))


@pytest.fixture
def signed_store(settings: Settings, cases: CaseService, tmp_path: Path) -> tuple[list, Path]:
    """Three cases under a checkpoint signed by the old host's key; the key's path."""
    ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(3)]
    key = tmp_path / "old-host-keys" / "checkpoint-ed25519.pem"
    ledger = CheckpointLedger(settings, key=SigningKey.create(key))
    try:
        ledger.write(cases)
    finally:
        ledger.close()
    return ids, key


@pytest.fixture
def backed_up(settings: Settings, signed_store, tmp_path: Path) -> Path:
    made = _run(settings, "backup", str(tmp_path / "backup"), env=_restore_env(signed_store[1]))
    assert made.returncode == 0, made.stderr
    return tmp_path / "backup"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_is_private_whatever_the_umask_and_records_every_file(
        settings, signed_store, backed_up):
    everything = [p for p in backed_up.rglob("*")]
    assert _mode(backed_up) == 0o700
    assert {p.name: _mode(p) for p in everything} == {
        p.name: 0o700 if p.is_dir() else 0o600 for p in everything}
    manifest = json.loads((backed_up / "backup.json").read_text())
    key_id = SigningKey.load(signed_store[1]).key_id
    assert manifest["checkpoint_keys"] == {key_id: f"checkpoint-keys/{key_id}.pub.pem"}
    files = {str(p.relative_to(backed_up)) for p in everything if p.is_file()}
    assert set(manifest["files"]) == files - {"backup.json"}
    for name in manifest["files"]:
        assert manifest["sha256"][name] == hashlib.sha256((backed_up / name).read_bytes()
                                                          ).hexdigest()


def _data_file(settings: Settings) -> str:
    return "casework.sqlite" if settings.store == "sqlite" else "casework.pgdump"


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scribble_on_the_header(path: Path) -> None:
    path.write_bytes(b"\x00garbage\x00" * 4 + path.read_bytes()[36:])


def _recompute_the_manifest(backup_dir: Path) -> None:
    """As someone covering their tracks (or a tool rewriting it) would."""
    manifest = json.loads((backup_dir / "backup.json").read_text())
    for name in manifest["files"]:
        body = (backup_dir / name).read_bytes()
        manifest["sha256"][name] = hashlib.sha256(body).hexdigest()
        manifest["bytes"][name] = len(body)
    (backup_dir / "backup.json").write_text(json.dumps(manifest))


DAMAGE = {
    "flipped byte": (_flip_a_byte, False, "does not match its SHA-256"),
    "truncated file": (_cut_in_half, False, "cut short"),
    "corrupt header, manifest rewritten": (_scribble_on_the_header, True, ""),
    "truncated file, manifest rewritten": (_cut_in_half, True, ""),
}


def _target_is_empty(settings: Settings) -> bool:
    if settings.store == "sqlite":
        return not settings.data_dir.exists() or not [
            p for p in settings.data_dir.iterdir() if p.stat().st_size > 0 or p.is_dir()]
    with psycopg.connect(settings.postgres_url) as conn:
        return not conn.execute("SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = %s", (settings.postgres_schema,)).fetchall()


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_backup_is_refused_naming_the_file_and_the_target_is_left_empty(
        settings, signed_store, backed_up, restored_settings, tmp_path, damage):
    good = tmp_path / "good-copy"
    shutil.copytree(backed_up, good)
    spoil, rewrite, says = DAMAGE[damage]
    spoil(backed_up / _data_file(settings))
    if rewrite:
        _recompute_the_manifest(backed_up)
    env = _restore_env(signed_store[1])
    refused = _run(restored_settings, "restore", str(backed_up), env=env)
    assert refused.returncode == 3, refused.stderr
    assert "Traceback" not in refused.stderr
    assert _data_file(settings) in refused.stderr and says in refused.stderr
    assert _target_is_empty(restored_settings)
    retried = _run(restored_settings, "restore", str(good), env=env)  # the retry is not refused
    assert retried.returncode == 0, retried.stderr
    _every_case_verifies(restored_settings, signed_store[0])


def _every_case_verifies(settings: Settings, ids) -> None:
    restored = CaseService(settings.eventsourcing_env())
    try:
        assert set(restored.ids_with_topic("Case.ConcernRaised")) == set(ids)
        assert all(restored.verify(case_id).ok for case_id in ids)
    finally:
        restored.close()


def test_an_event_altered_with_the_manifest_rewritten_is_refused_naming_the_case(
        tmp_path, signed_store, backed_up, restored_settings, settings):
    if settings.store != "sqlite":
        pytest.skip("the dump is compressed: an event cannot be altered in place")
    case_id = signed_store[0][0]
    with sqlite3.connect(backed_up / "casework.sqlite") as conn:  # one byte of its sealed state
        state = conn.execute("SELECT state FROM stored_events WHERE originator_id=? AND "
                             "originator_version=1", (case_id.hex,)).fetchone()[0]
        conn.execute("UPDATE stored_events SET state=? WHERE originator_id=? AND "
                     "originator_version=1", (state[:-1] + bytes([state[-1] ^ 1]), case_id.hex))
    conn.close()
    _recompute_the_manifest(backed_up)
    refused = _run(restored_settings, "restore", str(backed_up), env=_restore_env(signed_store[1]))
    assert refused.returncode == 3, refused.stderr
    assert re.search(r"case [0-9a-f-]{36} does not verify from version 1", refused.stderr)
    assert _target_is_empty(restored_settings)


def test_a_target_that_holds_data_is_refused_with_the_documented_message(
        settings, signed_store, backed_up, restored_settings):
    env = _restore_env(signed_store[1])
    assert _run(restored_settings, "restore", str(backed_up), env=env).returncode == 0
    again = _run(restored_settings, "restore", str(backed_up), env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "already holds" in again.stderr
    assert ("restore into an empty data directory" if settings.store == "sqlite"
            else "restore into an empty database or schema") in again.stderr


def test_restore_without_the_old_public_key_says_how_to_supply_it_and_make_run_makes_no_key(
        settings, signed_store, backed_up, restored_settings, tmp_path):
    new_host_key = tmp_path / "new-host-keys" / "checkpoint-ed25519.pem"
    key_id = SigningKey.load(signed_store[1]).key_id
    refused = _run(restored_settings, "restore", str(backed_up), env=_restore_env(new_host_key))
    assert refused.returncode == 4, refused.stderr
    assert key_id in refused.stderr and "CASEWORK_CHECKPOINT_PUBLIC_KEYS" in refused.stderr
    kept = backed_up / "checkpoint-keys" / f"{key_id}.pub.pem"
    assert str(kept) in refused.stderr and _target_is_empty(restored_settings)

    supplied = _run(restored_settings, "restore", str(backed_up), "--public-key", str(kept),
                    env=_restore_env(new_host_key))
    assert supplied.returncode == 0, supplied.stderr
    assert "verified 3 of 3 cases" in supplied.stderr  # progress, as it goes

    starting = _make_run(restored_settings, _restore_env(new_host_key))
    assert starting.returncode != 0 and key_id in starting.stderr
    assert "CASEWORK_CHECKPOINT_NEW_KEY=yes" in starting.stderr
    assert not new_host_key.exists()  # no key that fails every case was made
    with_public = restored_settings.model_copy(update={
        "checkpoint_key_file": new_host_key, "checkpoint_public_keys": str(kept)})
    assert unverifiable_key_ids(with_public) == set()
    ledger = CheckpointLedger.configured(with_public)
    restored = CaseService(restored_settings.eventsourcing_env())
    try:
        for case_id in signed_store[0]:
            assert verify_against_checkpoint(restored, ledger, case_id).checkpoint["ok"]
    finally:
        restored.close()
        ledger.close()


def _make_run(settings: Settings, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`make run`'s own start-up, on free ports; it must stop before starting anything."""
    ports = {name: str(free_port()) for name in (
        "CASEWORK_API_PORT", "CASEWORK_DEV_TEMPORAL_PORT", "CASEWORK_DEV_TEMPORAL_UI_PORT",
        "CASEWORK_WORKER_METRICS_PORT")}
    full = {k: v for k, v in os.environ.items() if k != "TEMPORAL_ADDRESS"}
    full.update(CASEWORK_STORE=settings.store, CASEWORK_DATA_DIR=str(settings.data_dir),
                CASEWORK_POSTGRES_URL=settings.postgres_url,
                CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema, **ports, **env)
    return subprocess.run([sys.executable, "-m", "deploy.cli", "run"], env=full, capture_output=True,
                          text=True, timeout=60)
