"""Tamper evidence on both stores: alter a byte, delete a row, swap two rows."""

import sqlite3
import uuid

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from deploy.cli import main as verify_cli
from services.audit.exports import verify_export
from services.cases.service import CaseService
from services.eventstore.encryption import seal
from services.eventstore.keys import open_key_store, release_key_store
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def a_case_with_history(cases: CaseService) -> uuid.UUID:
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    for n in range(3):
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    cases.record_diagnosis(case_id, summary="capacity and leadership", **ACTOR)
    return case_id


def run_sql(settings: Settings, sql: str, params: tuple) -> None:
    """Change the stored rows behind the application's back, as an attacker would."""
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(sql.replace("%s", "?").replace("{table}", "stored_events"), params)
        return
    url = settings.postgres_url
    with psycopg.connect(url, autocommit=True) as conn:
        table = f'"{settings.postgres_schema}".casework_events'
        conn.execute(sql.replace("{table}", table), params)


def write_state(settings: Settings, case_id: uuid.UUID, version: int, state: bytes,
                topic: str | None = None) -> None:
    """Overwrite one stored event as an insider holding the keys would: the state is
    sealed under the case's data key, so only the chain can tell it was changed."""
    keys = open_key_store(settings.key_store_location, settings.master_key_path)
    try:
        data_key = keys.data_key(case_id)
        if topic is None:
            topic = _topic(settings, case_id, version)
        sealed = seal(data_key, StoredEvent(originator_id=case_id, originator_version=version,
                                            topic=topic, state=state))
    finally:
        release_key_store(keys)
    run_sql(settings, "UPDATE {table} SET state=%s, topic=%s WHERE originator_id=%s AND "
                      "originator_version=%s", (sealed, topic, key(case_id, settings), version))


def _topic(settings: Settings, case_id: uuid.UUID, version: int) -> str:
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            return conn.execute("SELECT topic FROM stored_events WHERE originator_id=? AND "
                                "originator_version=?", (case_id.hex, version)).fetchone()[0]
    with psycopg.connect(settings.postgres_url) as conn:
        return conn.execute(f'SELECT topic FROM "{settings.postgres_schema}".casework_events '
                            "WHERE originator_id=%s AND originator_version=%s",
                            (case_id, version)).fetchone()[0]


def key(case_id: uuid.UUID, settings: Settings):
    return case_id.hex if settings.store == "sqlite" else case_id


def test_an_untouched_history_verifies(cases: CaseService):
    case_id = a_case_with_history(cases)
    result = cases.verify(case_id)
    assert result.ok and result.events_checked == 5 and result.first_broken_version is None


def test_altering_one_byte_of_a_stored_event_is_detected_at_that_event(cases, settings):
    case_id = a_case_with_history(cases)
    stored = cases.stored_events(case_id)[2]
    altered = stored.state.replace(b"k1", b"k9")
    assert altered != stored.state
    write_state(settings, case_id, 3, altered)
    result = cases.verify(case_id)
    assert not result.ok and result.first_broken_version == 3
    assert "altered" in result.problem


def test_deleting_a_stored_event_is_detected(cases, settings):
    case_id = a_case_with_history(cases)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=2",
            (key(case_id, settings),))
    result = cases.verify(case_id)
    assert not result.ok and result.first_broken_version == 2
    assert "removed" in result.problem


def test_swapping_two_stored_events_is_detected(cases, settings):
    case_id = a_case_with_history(cases)
    second, third = cases.stored_events(case_id)[1:3]
    for version, state in ((2, third.state), (3, second.state)):
        write_state(settings, case_id, version, state)
    result = cases.verify(case_id)
    assert not result.ok and result.first_broken_version == 2


def test_the_as_of_view_equals_the_state_at_that_version_and_time(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner", reminder_key="k")
    then = cases.get_case(case_id)
    moment = cases.history(case_id)[-1]["recorded_at"]
    cases.record_diagnosis(case_id, summary="capacity", **ACTOR)
    from services.cases.service import case_view

    assert case_view(cases.aggregate_as_of(case_id, version=2)) == then
    assert case_view(cases.aggregate_as_of(case_id, at=moment)) == then
    assert cases.get_case(case_id) != then


def test_an_exported_history_verifies_offline_and_detects_an_edit(cases, tmp_path, capsys):
    case_id = a_case_with_history(cases)
    lines = cases.export_history(case_id)
    export = tmp_path / "history.jsonl"
    export.write_text("\n".join(lines) + "\n")
    assert verify_cli(["verify", str(export)]) == 0
    assert verify_export(lines).events_checked == 5

    tampered = lines[:]
    tampered[1] = tampered[1].replace("owner", "someone else")
    assert not verify_export(tampered).ok
    export.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    assert verify_cli(["verify", str(export)]) == 1
    assert '"first_broken_version": 2' in capsys.readouterr().out


@pytest.mark.parametrize("n_events", [120])
def test_snapshots_bound_the_cost_of_loading_a_long_case(cases: CaseService, n_events):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    for n in range(n_events):
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    snapshots = list(cases.snapshots.get(case_id, desc=True, limit=1))
    assert snapshots and snapshots[0].originator_version >= 100
    assert cases.get_case(case_id)["reminders_issued"] == n_events
    assert cases.verify(case_id).ok
