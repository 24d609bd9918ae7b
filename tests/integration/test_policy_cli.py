"""`casework policy get|set`: the same rules and the same recorded changes."""

from pathlib import Path

import pytest

from deploy.cli import main as casework
from services.platform.settings import Settings
from services.policy.service import PolicyService


def test_set_changes_the_named_fields_records_the_actor_and_refuses_bad_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("CASEWORK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASEWORK_STORE", "sqlite")
    assert casework(["policy", "set", "North West", "--remind-every", "PT1H",
                 "--missed-reminder-limit", "4", "--actor", "ada"]) == 0
    assert casework(["policy", "set", "North West", "--missed-reminder-limit", "21"]) == 2
    assert "missed_reminder_limit must be a whole number" in capsys.readouterr().err
    assert casework(["policy", "set", "Narnia", "--remind-every", "1"]) == 2
    assert casework(["policy", "get", "North West"]) == 0
    shown = capsys.readouterr().out
    assert "remind_every\tPT3600S" in shown and "missed_reminder_limit\t4" in shown
    policies = PolicyService(Settings().eventsourcing_env())
    try:
        history = policies.history("North West")
    finally:
        policies.close()
    assert [entry["actor_id"] for entry in history] == ["ada"]
