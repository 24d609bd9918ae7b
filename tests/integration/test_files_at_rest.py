"""The data directory and its SQLite files are the service's user's alone."""

import stat
from pathlib import Path

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
