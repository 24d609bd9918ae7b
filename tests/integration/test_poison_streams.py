"""A stream the case list cannot apply is set aside; every other case is still listed."""

import contextlib
import logging

from domain.case import Case
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.registers.service import AlreadyRegistered
from tests.helpers import OPEN_CASE
from tests.integration.test_history_integrity import key, run_sql

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def three_cases(cases: CaseService) -> list:
    for n in range(3):  # in the register, as the API requires once it serves these cases
        with contextlib.suppress(AlreadyRegistered):
            cases.register_service().register_authority(
                name=f"Council {n}", authority_type="district", region=OPEN_CASE["region"],
                actor_id="test")
    ids = [cases.open_case(**dict(OPEN_CASE, authority=f"Council {n}"), **ACTOR) for n in range(3)]
    for n in range(2):
        cases.issue_reminder(ids[0], deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    return ids


def test_a_deleted_event_sets_its_case_aside_and_the_list_goes_on(cases, settings, caplog):
    broken, *others = three_cases(cases)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=2",
            (key(broken, settings),))
    view = CaseListView(settings)
    try:
        with caplog.at_level(logging.ERROR, logger="casework.read_models"):
            view.catch_up(cases)
        rows = {r["case_id"]: r for r in view.list_cases()[0]}
        assert set(rows) == {str(i) for i in [broken, *others]}
        assert all("verification" not in rows[str(i)] for i in others)
        flagged = rows[str(broken)]
        assert flagged["verification"]["ok"] is False
        assert "fails verification at version 2" in flagged["verification"]["problem"]
        assert flagged["version"] == 1  # what could be applied: the concern alone
        assert view.set_aside_total == 1
        assert [p["case_id"] for p in view.problems()] == [str(broken)]
        assert any(str(broken) in r.getMessage() for r in caplog.records)
        # set aside once: the next catch-up does not stumble on it again
        cases.issue_reminder(others[0], deadline="diagnosis", recipient="owner", reminder_key="x")
        view.catch_up(cases)
        assert view.set_aside_total == 1
        assert {r["case_id"]: r for r in view.list_cases()[0]}[str(others[0])]["version"] == 2
    finally:
        view.close()


def test_a_rebuild_over_a_broken_stream_finishes_and_flags_it(cases, settings):
    broken, *others = three_cases(cases)
    run_sql(settings, "DELETE FROM {table} WHERE originator_id=%s AND originator_version=1",
            (key(broken, settings),))
    view = CaseListView(settings)
    try:
        view.rebuild(cases)
        listed = [r["case_id"] for r in view.list_cases()[0]]
        assert listed == [str(i) for i in others]  # nothing of it applies, so no row
        assert [p["case_id"] for p in view.problems()] == [str(broken)]
    finally:
        view.close()


def test_a_nul_stored_before_it_was_refused_does_not_stop_the_list(cases, settings):
    """PostgreSQL refuses NUL in a text column: the row cannot be written at all."""
    good = cases.open_case(**OPEN_CASE, **ACTOR)
    case = Case.raise_concern(**dict(OPEN_CASE, authority="Northshire"), raised_at=cases.clock(),
                              diagnosis_due=cases.clock().replace(year=2100), **ACTOR)
    object.__setattr__(case.pending_events[0], "authority", "North\x00shire")  # an old record
    cases.save(case)
    view = CaseListView(settings)
    try:
        view.catch_up(cases)
        rows = {r["case_id"]: r for r in view.list_cases()[0]}
        assert str(good) in rows and "verification" not in rows[str(good)]
        if settings.store == "postgres":
            assert str(case.id) not in rows
            assert [p["case_id"] for p in view.problems()] == [str(case.id)]
            assert "\x00" not in view.problems()[0]["problem"]
    finally:
        view.close()
