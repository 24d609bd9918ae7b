"""A stream the case list cannot apply is set aside; every other case is still listed."""

import contextlib
import json
import logging
import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from domain.case import Case
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.eventstore.chain import header_length
from services.eventstore.encryption import EncryptingRecorder
from services.eventstore.keys import open_key_store, release_key_store
from services.registers.service import AlreadyRegistered
from tests.helpers import OPEN_CASE
from tests.integration.test_history_integrity import key, run_sql, write_state

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


# -- poison of every kind ---------------------------------------------------------------
# What someone with the database file (or a faulty release) can leave in one event row.
# Each kind takes the row's (topic, state) and gives the poisoned (topic, state).

def _plain_json(state: bytes, change) -> bytes:
    cut = header_length(state)
    values = json.loads(state[cut:])
    change(values)
    return state[:cut] + json.dumps(values).encode()


POISONS = {
    "unknown topic": lambda topic, state: ("casework.gone:Vanished", state),
    "unknown class": lambda topic, state: ("domain.case:Case.NoSuchEvent", state),
    "broken JSON": lambda topic, state: (topic, state.replace(b'{"', b"{'", 1)),
    "truncated bytes": lambda topic, state: (topic, state[:40]),
    "raw NUL": lambda topic, state: (topic, state.replace(b'":"', b'":"\x00', 1)),
    "header that does not parse": lambda topic, state: (topic, b"hc2:" + b"z" * 64 + state[68:]),
    "content of the wrong type": lambda topic, state: (topic, _plain_json(
        state, lambda v: v.update(content=12345))),
    "confidentiality outside the vocabulary": lambda topic, state: (topic, _plain_json(
        state, lambda v: v.update(confidentiality="top secret"))),
    "upcaster that fails": lambda topic, state: (topic, _plain_json(
        state, lambda v: v.update(class_version=0))),
}
POISONED_VERSION = 2  # the case's IntelligenceAdded


def read_row(settings, case_id, version: int) -> tuple[str, bytes]:
    if settings.store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            row = conn.execute("SELECT topic, state FROM stored_events WHERE originator_id=? "
                               "AND originator_version=?", (key(case_id, settings), version)
                               ).fetchone()
    else:
        with psycopg.connect(settings.postgres_url) as conn:
            row = conn.execute(f'SELECT topic, state FROM "{settings.postgres_schema}".'
                               "casework_events WHERE originator_id=%s AND "
                               "originator_version=%s", (case_id, version)).fetchone()
    return row[0], opened(settings, case_id, version, row[0], bytes(row[1]))


def opened(settings, case_id, version: int, topic: str, state: bytes) -> bytes:
    """A stored state as the application reads it (the insider holds the keys)."""
    keys = open_key_store(settings.key_store_location, settings.master_key_path)
    try:
        recorder = EncryptingRecorder(None, keys)
        return recorder.opened(state, StoredEvent(originator_id=case_id,
                                                  originator_version=version,
                                                  topic=topic, state=state))
    finally:
        release_key_store(keys)


def poison(settings, case_id, kind: str, version: int = POISONED_VERSION) -> None:
    topic, state = POISONS[kind](*read_row(settings, case_id, version))
    write_state(settings, case_id, version, state, topic)


def poisonable_case(cases: CaseService, **opened) -> object:
    """A case whose version 2 is intelligence (content and confidentiality), then reminders."""
    case_id = cases.open_case(**{**OPEN_CASE, **opened}, **ACTOR)
    cases.add_intelligence(case_id, content="Chief executive resigned", source="press",
                           confidentiality="normal", **ACTOR)
    for n in range(2):
        cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                             reminder_key=f"k{n}")
    return case_id


@pytest.mark.parametrize("kind", POISONS)
def test_poison_of_each_kind_is_set_aside_by_the_catch_up_and_the_rebuild(
        kind, cases, settings):
    healthy = poisonable_case(cases)
    broken = poisonable_case(cases, authority="Southshire District Council")
    poison(settings, broken, kind)
    view = CaseListView(settings)
    try:
        for bring_up_to_date in (view.catch_up, view.rebuild):
            bring_up_to_date(cases)
            rows = {r["case_id"]: r for r in view.list_cases()[0]}
            assert "verification" not in rows[str(healthy)]
            assert rows[str(healthy)]["version"] == 4
            flagged = rows[str(broken)]
            assert flagged["version"] == 1  # as far as it can be read
            assert "at version 2" in flagged["verification"]["problem"], flagged
            assert [p["case_id"] for p in view.problems()] == [str(broken)]
        result = cases.verify(broken)
        assert not result.ok and result.first_broken_version == POISONED_VERSION
        assert "cannot be read" in result.problem
    finally:
        view.close()


def test_a_case_poisoned_after_it_was_listed_is_flagged_when_it_is_read(cases, settings):
    broken = poisonable_case(cases)
    view = CaseListView(settings)
    fresh = CaseService(settings.eventsourcing_env(),  # a process that never cached it
                        unreadable_found=view.set_aside_unreadable)
    try:
        view.catch_up(cases)
        poison(settings, broken, "broken JSON")
        view.catch_up(cases)  # nothing new in the log: the list cannot know
        assert "verification" not in view.list_cases()[0][0]
        known = fresh.readable_case(broken)
        assert known["history_unreadable"].version == POISONED_VERSION
        assert known["region"] == OPEN_CASE["region"]  # whom it relates to, from version 1
        assert view.list_cases()[0][0]["verification"]["ok"] is False
        assert view.set_aside_total == 1
        fresh.readable_case(broken)
        assert view.set_aside_total == 1  # flagged once, not at every read
    finally:
        fresh.close()
        view.close()
