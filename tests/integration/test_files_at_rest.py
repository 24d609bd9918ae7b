"""The data directory and its SQLite files are the service's user's alone."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from deploy.run import Part
from domain.calendar import PolicyDuration
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.identity.service import build_identity_service
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_is_0700_and_every_sqlite_file_0600(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", store="sqlite")
    cases = CaseService(settings.eventsourcing_env(), diagnosis_deadline=PolicyDuration.parse("P1D"))
    identity = build_identity_service(settings)
    view = CaseListView(settings)
    try:
        cases.open_case(**OPEN_CASE, **ACTOR)
        identity.register_user(username="ines", role="inspector")
        view.catch_up(cases)
        files = sorted(settings.data_dir.iterdir())
        assert {f.name for f in files} >= {"casework.sqlite", "access.sqlite"}
        assert mode(settings.data_dir) == 0o700
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        view.close()
        identity.close()
        cases.close()


def test_files_made_before_are_tightened_when_the_service_starts(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    (data / "casework.sqlite").touch(mode=0o644)
    (data / "casework.sqlite-wal").touch(mode=0o644)
    settings = Settings(data_dir=data, store="sqlite")
    settings.eventsourcing_env()
    assert mode(data) == 0o700
    assert mode(data / "casework.sqlite") == mode(data / "casework.sqlite-wal") == 0o600


def test_a_part_s_log_is_0600_whatever_the_umask_and_one_made_before_is_tightened(tmp_path):
    """`make run` writes the Temporal dev server's output to temporal.log."""
    made_before = tmp_path / "before.log"
    made_before.touch(mode=0o644)
    old = os.umask(0o022)
    try:
        for path in (tmp_path / "temporal.log", made_before):
            part = Part("echo", [sys.executable, "-c", "print('up')"], path)
            part.start()
            assert part.process is not None and part.process.wait(timeout=30) == 0
            assert mode(path) == 0o600 and "up" in path.read_text()
    finally:
        os.umask(old)


def test_migrations_on_a_new_data_directory_make_it_private_whatever_the_umask(tmp_path):
    done = subprocess.run([sys.executable, "-m", "deploy.cli", "migrate"], capture_output=True,
                          text=True, timeout=60, preexec_fn=lambda: os.umask(0o022),
                          env=dict(os.environ, CASEWORK_STORE="sqlite",
                                   CASEWORK_DATA_DIR=str(tmp_path / "var")))
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "casework.sqlite") == 0o600
