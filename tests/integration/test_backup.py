"""Backup while cases are being written, restore into an empty store, carry on.

The backup runs through the real command line beside a thread that keeps
writing. The restored store must be a consistent prefix of the original: every
case verifies, and its last link is the original's link at that version. Then
the reconciler, on a fresh task queue, gives every open case its workflow and
pending timer again.
"""

import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from domain.calendar import PolicyDuration
from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from services.eventstore.chain import links_from_stored, verify_links
from services.identity.service import build_identity_service
from services.ops.backup import BackupError, copy_to_postgres
from services.platform.settings import Settings
from services.policy.service import PolicyService
from tests.helpers import OPEN_CASE, eventually
from workflows.reconciler import Reconciler
from workflows.worker import build_worker

ACTOR = dict(actor_id="cora", actor_role="coordinator")
LATER = PolicyDuration.parse("P30D")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CASEWORK_STORE=settings.store, CASEWORK_DATA_DIR=str(settings.data_dir),
               CASEWORK_POSTGRES_URL=settings.postgres_url,
               CASEWORK_POSTGRES_SCHEMA=settings.postgres_schema)
    return subprocess.run([sys.executable, "-m", "services.ops.backup", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def _heads(cases: CaseService, ids) -> dict:
    return {case_id: cases.verify(case_id) for case_id in ids}


def _links(cases: CaseService, case_id) -> dict[int, str]:
    """Each version's link, as verification walks it (the head at every prefix)."""
    stored = cases.stored_events(case_id)
    return {n: verify_links(links_from_stored(stored[:n], cases.decode_state)).head_hash
            for n in range(1, len(stored) + 1)}


@pytest.fixture
def restored_settings(settings: Settings, tmp_path: Path, postgres_url_or_none):
    """An empty store of the same kind: a fresh data directory, or a fresh database."""
    if settings.store == "sqlite":
        yield settings.model_copy(update={"data_dir": tmp_path / "restored"})
        return
    database = f"casework_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url_or_none, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = postgres_url_or_none.rsplit("/", 1)[0] + f"/{database}"
    yield settings.model_copy(update={"postgres_url": url, "data_dir": tmp_path / "restored"})
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
                      postgres_schema=postgres_schema)
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
