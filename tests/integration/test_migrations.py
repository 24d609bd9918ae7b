"""A newer release started on an older database brings it up to date, once."""

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psycopg

from services.caselist.migrations import LATEST, MIGRATIONS, current_version, migrate
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="cora", actor_role="coordinator")


def after(version: int) -> list[int]:
    """The migrations from `version` on, in order (their numbers need not be consecutive)."""
    return [m.version for m in MIGRATIONS if m.version >= version]


def _indexes(settings: Settings) -> set[str]:
    if settings.store == "postgres":
        with psycopg.connect(settings.postgres_url) as conn:
            rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                                (settings.postgres_schema,)).fetchall()
    else:
        with sqlite3.connect(settings.sqlite_path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows}


def test_the_current_release_schema_is_upgraded_and_keeps_every_case(settings, cases):
    # The database as release 0.1.0 leaves it: the services' own tables, a case, the list.
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    view = CaseListView(settings)
    view.catch_up(cases)
    view.close()
    assert "case_list_authority" not in _indexes(settings)

    assert migrate(settings) == [m.version for m in MIGRATIONS]
    assert current_version(settings) == LATEST
    indexes = _indexes(settings)
    assert {"case_list_region_due", "case_list_authority_raised"} <= indexes
    assert not {"case_list_region", "case_list_authority", "case_list_owner"} & indexes
    assert migrate(settings) == []  # a second start changes nothing

    view = CaseListView(settings)
    view.catch_up(cases)  # as every read of the list does first
    listed, _ = view.list_cases(authority=OPEN_CASE["authority"])
    view.close()
    assert [row["case_id"] for row in listed] == [str(case_id)]
    fresh = CaseService(settings.eventsourcing_env())
    assert fresh.verify(case_id).ok and fresh.get_case(case_id)["version"] == 1
    fresh.close()


def test_a_database_at_an_older_version_gets_only_the_later_migrations(settings):
    assert migrate(settings, up_to=1) == [1]
    assert current_version(settings) == 1
    assert migrate(settings) == after(2)


def test_processes_starting_together_apply_each_migration_once(settings):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: migrate(settings), range(4)))
    assert sorted(v for applied in results for v in applied) == [m.version for m in MIGRATIONS]


def test_a_second_service_in_a_process_keeps_the_first_ones_writes_visible(tmp_path):
    """Settings for a second service touch the SQLite file's permissions; that must not
    drop the first service's locks, or another process's write resets the WAL under it
    and what the first then saves never reaches anyone else."""
    settings = Settings(data_dir=tmp_path / "var", store="sqlite")
    first = CaseService(settings.eventsourcing_env())
    second = CaseService(settings.eventsourcing_env())
    env = dict(os.environ, CASEWORK_DATA_DIR=str(settings.data_dir))
    subprocess.run([sys.executable, "-m", "deploy.cli", "migrate"], env=env, check=True,
                   capture_output=True)
    case_id = first.open_case(**OPEN_CASE, **ACTOR)
    read = subprocess.run(
        [sys.executable, "-c", "import sys; from uuid import UUID; from services.platform.settings "
         "import Settings; from services.cases.service import CaseService; print(CaseService("
         "Settings().eventsourcing_env()).get_case(UUID(sys.argv[1]))['version'])",
         str(case_id)], env=env, capture_output=True, text=True)
    second.close()
    first.close()
    assert read.returncode == 0, read.stderr[-500:]
    assert read.stdout.strip() == "1"


_CASE_LIST_BEFORE_OWNERS = """CREATE TABLE case_list (
    case_id TEXT PRIMARY KEY, authority TEXT NOT NULL, region TEXT NOT NULL,
    stage TEXT NOT NULL, status TEXT NOT NULL, issue_type TEXT NOT NULL,
    risk_score INTEGER, risk_band TEXT, raised_at TEXT NOT NULL, next_due TEXT,
    version INTEGER NOT NULL)"""


def test_a_case_list_from_before_owners_gets_the_column_and_is_projected_again(settings,
                                                                              cases):
    from services.caselist.migrations import _locked

    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    with _locked(settings) as run:  # the list as release 0.1.0 kept it, already up to date
        run(_CASE_LIST_BEFORE_OWNERS)
        run("CREATE TABLE read_model_tracking (projection TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL)")
        run("INSERT INTO case_list VALUES (?, ?, ?, 'local', 'open', ?, NULL, NULL, "
            "'2026-01-01T00:00:00+00:00', NULL, 1)",
            (str(case_id), OPEN_CASE["authority"], OPEN_CASE["region"],
             OPEN_CASE["issue_type"]))
        run("INSERT INTO read_model_tracking VALUES ('case_list', ?)",
            (cases.recorder.max_notification_id(),))
    assert migrate(settings, up_to=3) == [1, 2, 3]

    assert migrate(settings) == after(4)
    view = CaseListView(settings)
    view.catch_up(cases)
    mine, _ = view.list_cases(owner="cora")
    view.close()
    assert [(row["case_id"], row["owner"]) for row in mine] == [(str(case_id), "cora")]


_CASE_LIST_BEFORE_PROPOSALS = _CASE_LIST_BEFORE_OWNERS.replace(
    "version INTEGER NOT NULL)", "version INTEGER NOT NULL, owner TEXT)")


def test_a_case_list_from_before_proposals_gets_the_columns_and_is_projected_again(
        settings, cases):
    """Migration 7: the proposals awaiting a decision and the red flag, filled in for the
    cases already listed, as of their events."""
    from services.caselist.migrations import _locked
    from services.caselist.worklist import CaseFilter

    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    assert cases.propose_escalation(case_id, reason="Deadlines missed", proposal_key="p1")
    with _locked(settings) as run:  # the list as schema version 6 kept it
        run(_CASE_LIST_BEFORE_PROPOSALS)
        run("CREATE TABLE read_model_tracking (projection TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL)")
    assert migrate(settings, up_to=6) == [1, 2, 3, 4, 5, 6]
    with _locked(settings) as run:  # ... and up to date, the proposal already projected
        run("INSERT INTO case_list VALUES (?, ?, ?, 'local', 'open', ?, NULL, NULL, "
            "'2026-01-01T00:00:00+00:00', NULL, 2, 'cora')",
            (str(case_id), OPEN_CASE["authority"], OPEN_CASE["region"],
             OPEN_CASE["issue_type"]))
        run("INSERT INTO read_model_tracking VALUES ('case_list', ?)",
            (cases.recorder.max_notification_id(),))

    assert migrate(settings) == after(7)
    assert "case_list_awaiting" in _indexes(settings)
    view = CaseListView(settings)
    view.catch_up(cases)
    waiting = view.awaiting_decision(CaseFilter(region=OPEN_CASE["region"]))
    view.close()
    assert [(row["case_id"], row["escalation_proposed_to"], row["red_flag"])
            for row in waiting] == [(str(case_id), "RIEP", False)]


def test_a_case_list_from_before_tasks_gets_the_columns_and_is_projected_again(
        settings, cases):
    """Migration 8: a plan put to the council waits on its liaison, filled in for the cases
    already listed, as of their events."""
    from datetime import UTC, datetime, timedelta

    from domain.identity import Role
    from services.caselist.migrations import _locked
    from services.caselist.worklist import CaseFilter
    from tests.unit.case_builder import ACTIONS

    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.record_diagnosis(case_id, summary="Weak leadership", **ACTOR)
    cases.draft_plan(case_id, summary="Stabilise", actions=ACTIONS, adviser_id="adam", **ACTOR)
    cases.ask_council_to_agree(case_id, **ACTOR)
    with _locked(settings) as run:  # the list as schema version 7 kept it
        run(_CASE_LIST_BEFORE_PROPOSALS.replace("owner TEXT)", "owner TEXT, "
            "escalation_proposed_to TEXT, escalation_proposed_at TEXT, "
            "joint_meeting_proposed_at TEXT, red_flag_raised_at TEXT)"))
        run("CREATE TABLE read_model_tracking (projection TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL)")
    assert migrate(settings, up_to=7) == [1, 2, 3, 4, 5, 6, 7]
    assert migrate(settings) == after(8)
    assert "case_list_tasks" in _indexes(settings)
    view = CaseListView(settings)
    view.catch_up(cases)
    soon = datetime.now(UTC) + timedelta(days=7)
    waiting = view.tasks_waiting(CaseFilter(authority=OPEN_CASE["authority"], status="open"),
                                 role=Role.AUTHORITY_LIAISON, username="lia", soon=soon)
    view.close()
    assert [(row["case_id"], row["agreement_requested_by"], row["adviser"])
            for row in waiting] == [(str(case_id), ACTOR["actor_id"], "adam")]


def test_a_case_list_from_before_references_gets_the_column_and_is_projected_again(
        settings, cases):
    """Migration 9: each case's reference, filled in for the cases already listed, and the
    case found by it."""
    from services.caselist.migrations import _locked

    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    with _locked(settings) as run:  # the list as schema version 8 kept it
        run(_CASE_LIST_BEFORE_PROPOSALS.replace("owner TEXT)", "owner TEXT, "
            "escalation_proposed_to TEXT, escalation_proposed_at TEXT, "
            "joint_meeting_proposed_at TEXT, red_flag_raised_at TEXT, "
            "agreement_requested_at TEXT, agreement_requested_by TEXT, "
            "joint_summary_due TEXT, review_due TEXT, adviser TEXT)"))
        run("CREATE TABLE read_model_tracking (projection TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL)")
    assert migrate(settings, up_to=8) == list(range(1, 9))
    assert 9 in migrate(settings)
    assert "case_list_reference" in _indexes(settings)
    view = CaseListView(settings)
    view.catch_up(cases)
    reference = cases.get_case(case_id)["reference"]
    listed = view.list_cases()[0]
    found = view.case_with_reference(reference)
    view.close()
    assert [row["reference"] for row in listed] == [reference]
    assert found == str(case_id)


def test_the_rebuild_command_brings_an_older_database_up_to_date_first(settings, cases,
                                                                       monkeypatch, capsys):
    """`casework rebuild` on a list kept by schema version 6 (no
    proposal columns): it migrates, then rebuilds, instead of failing on the new index."""
    from deploy.cli import main
    from services.caselist.migrations import _locked

    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    with _locked(settings) as run:
        run(_CASE_LIST_BEFORE_PROPOSALS)
        run("CREATE TABLE read_model_tracking (projection TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL)")
    assert migrate(settings, up_to=6) == [1, 2, 3, 4, 5, 6]
    for name, value in settings.model_dump().items():
        if value is not None and not isinstance(value, (dict, list)):
            monkeypatch.setenv(f"CASEWORK_{name.upper()}", str(value))

    assert main(["rebuild"]) == 0
    assert "rebuilt the case list" in capsys.readouterr().out
    view = CaseListView(settings)
    listed = [row["case_id"] for row in view.list_cases()[0]]
    view.close()
    assert listed == [str(case_id)]
